package io.deepclust.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class JsonTest {

  @Test
  void parsesNestedObjectsArraysAndLiteralsInFileOrder() {
    Object v =
        Json.parse(" {\"b\": [1, 2.5, true, false, null], \"a\": {\"c\": \"d\"}, \"e\": {}} ");
    Map<?, ?> m = (Map<?, ?>) v;
    assertEquals(List.of("b", "a", "e"), List.copyOf(m.keySet()));
    List<?> b = (List<?>) m.get("b");
    assertEquals(1L, b.get(0));
    assertEquals(2.5, b.get(1));
    assertEquals(true, b.get(2));
    assertEquals(false, b.get(3));
    assertNull(b.get(4));
    assertEquals(Map.of("c", "d"), m.get("a"));
    assertEquals(Map.of(), m.get("e"));
  }

  @Test
  void decodesEveryEscape() {
    assertEquals(
        "q\"b\\s/\b\f\n\r\té😀",
        Json.parse("\"q\\\"b\\\\s\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\""));
  }

  @Test
  void integersAreLongsAndOtherNumbersDoubles() {
    assertEquals(-12L, Json.parse("-12"));
    assertEquals(0L, Json.parse("0"));
    assertEquals(1000.0, Json.parse("1e3"));
    assertEquals(-0.25, Json.parse("-2.5E-1"));
    assertEquals(1e20, Json.parse("100000000000000000000"));
  }

  @ParameterizedTest(name = "{0} fails at {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "{\"a\":1,}|7",
        "[1,2,]|5",
        "[01]|2",
        "\"abc|4",
        "{\"a\" 1}|5",
        "{\"a\":1,\"a\":2}|7",
        "{a:1}|1",
        "NaN|0",
        "[1] x|4",
        "|0",
        "[1.]|3",
        "[-]|2",
        "\"\\x\"|1",
        "\"\\u12g4\"|5",
        "tru|0",
        "[1 2]|3",
      })
  void rejectsMalformedInputAtItsPosition(String text, int position) {
    Json.ParseException e =
        assertThrows(Json.ParseException.class, () -> Json.parse(text == null ? "" : text));
    assertEquals(position, e.position(), e.getMessage());
    assertTrue(e.getMessage().endsWith("at position " + position), e.getMessage());
  }

  @Test
  void rejectsUnescapedControlCharacters() {
    assertEquals(
        2, assertThrows(Json.ParseException.class, () -> Json.parse("\"a\nb\"")).position());
  }

  @Test
  void rejectsNestingBeyondTheLimit() {
    assertThrows(Json.ParseException.class, () -> Json.parse("[".repeat(1000) + "]".repeat(1000)));
  }

  @Test
  void writtenTextParsesBackToTheSameValue() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("s", "tab\there \"quoted\" \\ \u0001");
    m.put("n", List.of(1L, -2.5, 1e-9));
    m.put("nested", Map.of("empty", List.of(), "obj", Map.of()));
    m.put("nothing", null);
    m.put("flag", true);
    m.put("shape", new int[] {28, 28, 1});
    Object back = Json.parse(Json.write(m));
    Map<String, Object> expected = new LinkedHashMap<>(m);
    expected.put("shape", List.of(28L, 28L, 1L));
    assertEquals(expected, back);
  }

  @Test
  void writeIndentsObjectsAndKeepsScalarArraysOnOneLine() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("shape", new int[] {28, 28, 1});
    m.put("empty", List.of());
    m.put("rows", List.of(List.of(1L), Map.of()));
    assertEquals(
        "{\n  \"shape\": [28, 28, 1],\n  \"empty\": [],\n  \"rows\": [\n    [1],\n    {}\n  ]\n}",
        Json.write(m));
  }

  @Test
  void writeRejectsNonFiniteNumbers() {
    assertThrows(IllegalArgumentException.class, () -> Json.write(List.of(Double.NaN)));
    assertThrows(IllegalArgumentException.class, () -> Json.write(Float.POSITIVE_INFINITY));
  }
}
