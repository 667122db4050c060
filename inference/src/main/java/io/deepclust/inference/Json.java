package io.deepclust.inference;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small strict JSON reader and writer (RFC 8259), so that {@code inference} needs no JSON
 * library.
 *
 * <p>Values map to Java as: object → unmodifiable {@code Map<String,Object>} in file order, array →
 * unmodifiable {@code List<Object>}, string → {@code String}, number without fraction or exponent
 * that fits a {@code long} → {@code Long}, any other number → {@code Double}, {@code true}/{@code
 * false} → {@code Boolean}, {@code null} → {@code null}. Strict: no comments, no trailing commas,
 * no duplicate keys, no leading zeros, no unescaped control characters, nothing after the value.
 */
public final class Json {
  private static final int MAX_DEPTH = 256;

  /** Malformed JSON; {@link #position()} is the 0-based character offset of the error. */
  public static final class ParseException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;
    private final int position;

    ParseException(String what, int position) {
      super(what + " at position " + position);
      this.position = position;
    }

    /** The 0-based character offset in the parsed text where the error was found. */
    public int position() {
      return position;
    }
  }

  private final String text;
  private int pos;
  private int depth;

  private Json(String text) {
    this.text = text;
  }

  /**
   * Parses one JSON value.
   *
   * @throws ParseException if {@code text} is not exactly one well-formed JSON value
   */
  public static Object parse(String text) {
    Json p = new Json(text);
    Object value = p.value();
    p.skipSpace();
    if (p.pos < text.length()) throw p.error("unexpected '" + text.charAt(p.pos) + "' after value");
    return value;
  }

  /**
   * Writes a value as indented JSON. Accepts what {@link #parse} returns, plus any {@code Number},
   * {@code CharSequence}, {@code Iterable} and {@code int[]}.
   *
   * @throws IllegalArgumentException for a non-finite number or an unsupported type
   */
  public static String write(Object value) {
    StringBuilder out = new StringBuilder();
    write(value, out, "");
    return out.toString();
  }

  private Object value() {
    skipSpace();
    if (pos >= text.length()) throw error("unexpected end of input, expected a value");
    char c = text.charAt(pos);
    return switch (c) {
      case '{' -> object();
      case '[' -> array();
      case '"' -> string();
      case 't' -> literal("true", Boolean.TRUE);
      case 'f' -> literal("false", Boolean.FALSE);
      case 'n' -> literal("null", null);
      default -> {
        if (c == '-' || (c >= '0' && c <= '9')) yield number();
        throw error("unexpected '" + c + "', expected a value");
      }
    };
  }

  private Map<String, Object> object() {
    enter();
    Map<String, Object> map = new LinkedHashMap<>();
    pos++;
    if (peekAfterSpace() == '}') {
      pos++;
    } else {
      do {
        skipSpace();
        int keyAt = pos;
        if (peekAfterSpace() != '"') throw error("expected a string key");
        String key = string();
        if (map.containsKey(key)) throw error("duplicate key \"" + key + "\"", keyAt);
        expect(':');
        map.put(key, value());
      } while (comma('}'));
    }
    depth--;
    return Collections.unmodifiableMap(map);
  }

  private List<Object> array() {
    enter();
    List<Object> list = new ArrayList<>();
    pos++;
    if (peekAfterSpace() == ']') {
      pos++;
    } else {
      do {
        list.add(value());
      } while (comma(']'));
    }
    depth--;
    return Collections.unmodifiableList(list);
  }

  /** After an element: true on ',', false on {@code close}, else an error. */
  private boolean comma(char close) {
    char c = peekAfterSpace();
    pos++;
    if (c == ',') return true;
    if (c == close) return false;
    pos--;
    throw error(
        c == 0
            ? "unexpected end of input, expected ',' or '" + close + "'"
            : "unexpected '" + c + "', expected ',' or '" + close + "'");
  }

  private String string() {
    StringBuilder sb = new StringBuilder();
    pos++;
    while (true) {
      if (pos >= text.length()) throw error("unterminated string");
      char c = text.charAt(pos++);
      if (c == '"') return sb.toString();
      if (c < 0x20) throw error("unescaped control character in string", pos - 1);
      if (c != '\\') {
        sb.append(c);
        continue;
      }
      if (pos >= text.length()) throw error("unterminated string");
      char e = text.charAt(pos++);
      switch (e) {
        case '"', '\\', '/' -> sb.append(e);
        case 'b' -> sb.append('\b');
        case 'f' -> sb.append('\f');
        case 'n' -> sb.append('\n');
        case 'r' -> sb.append('\r');
        case 't' -> sb.append('\t');
        case 'u' -> {
          if (pos + 4 > text.length()) throw error("truncated \\u escape", pos - 2);
          int code = 0;
          for (int i = 0; i < 4; i++) {
            int d = Character.digit(text.charAt(pos + i), 16);
            if (d < 0) throw error("bad hex digit in \\u escape", pos + i);
            code = code * 16 + d;
          }
          pos += 4;
          sb.append((char) code);
        }
        default -> throw error("bad escape '\\" + e + "'", pos - 2);
      }
    }
  }

  private Object number() {
    int start = pos;
    if (text.charAt(pos) == '-') pos++;
    if (pos < text.length() && text.charAt(pos) == '0') {
      pos++;
    } else if (digits() == 0) {
      throw error("expected a digit");
    }
    boolean integral = true;
    if (pos < text.length() && text.charAt(pos) == '.') {
      pos++;
      integral = false;
      if (digits() == 0) throw error("expected a digit after '.'");
    }
    if (pos < text.length() && (text.charAt(pos) == 'e' || text.charAt(pos) == 'E')) {
      pos++;
      integral = false;
      if (pos < text.length() && (text.charAt(pos) == '+' || text.charAt(pos) == '-')) pos++;
      if (digits() == 0) throw error("expected a digit in exponent");
    }
    String s = text.substring(start, pos);
    if (integral) {
      try {
        return Long.parseLong(s);
      } catch (NumberFormatException tooBig) {
        // falls through to a double, as JavaScript would
      }
    }
    return Double.parseDouble(s);
  }

  private int digits() {
    int start = pos;
    while (pos < text.length() && text.charAt(pos) >= '0' && text.charAt(pos) <= '9') pos++;
    return pos - start;
  }

  private Object literal(String word, Object value) {
    if (!text.startsWith(word, pos)) throw error("unexpected '" + text.charAt(pos) + "'");
    pos += word.length();
    return value;
  }

  private void expect(char c) {
    if (peekAfterSpace() != c) throw error("expected '" + c + "'");
    pos++;
  }

  private char peekAfterSpace() {
    skipSpace();
    return pos < text.length() ? text.charAt(pos) : 0;
  }

  private void skipSpace() {
    while (pos < text.length() && " \t\n\r".indexOf(text.charAt(pos)) >= 0) pos++;
  }

  private void enter() {
    if (++depth > MAX_DEPTH) throw error("nesting deeper than " + MAX_DEPTH);
  }

  private ParseException error(String what) {
    return error(what, pos);
  }

  private ParseException error(String what, int at) {
    return new ParseException(what, at);
  }

  private static void write(Object v, StringBuilder out, String indent) {
    String inner = indent + "  ";
    if (v == null || v instanceof Boolean || v instanceof Long || v instanceof Integer) {
      out.append(v);
    } else if (v instanceof Number n) {
      if (!Double.isFinite(n.doubleValue())) throw new IllegalArgumentException("JSON has no " + n);
      out.append(n);
    } else if (v instanceof CharSequence s) {
      quote(s.toString(), out);
    } else if (v instanceof int[] a) {
      write(Arrays.stream(a).boxed().toList(), out, indent);
    } else if (v instanceof Map<?, ?> m) {
      out.append('{');
      String sep = "\n";
      for (Map.Entry<?, ?> e : m.entrySet()) {
        quote(String.valueOf(e.getKey()), out.append(sep).append(inner));
        write(e.getValue(), out.append(": "), inner);
        sep = ",\n";
      }
      out.append(m.isEmpty() ? "" : "\n" + indent).append('}');
    } else if (v instanceof Iterable<?> l) {
      boolean flat = true; // arrays of scalars stay on one line: "input_shape": [28, 28, 1]
      for (Object e : l) flat &= !(e instanceof Map || e instanceof Iterable || e instanceof int[]);
      out.append('[');
      String sep = flat ? "" : "\n" + inner;
      for (Object e : l) {
        write(e, out.append(sep), inner);
        sep = flat ? ", " : ",\n" + inner;
      }
      out.append(flat || !l.iterator().hasNext() ? "" : "\n" + indent).append(']');
    } else {
      throw new IllegalArgumentException("cannot write " + v.getClass().getName() + " as JSON");
    }
  }

  private static void quote(String s, StringBuilder out) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          if (c < 0x20) out.append(String.format("\\u%04x", (int) c));
          else out.append(c);
        }
      }
    }
    out.append('"');
  }
}
