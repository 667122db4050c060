package io.deepclust.training.cli;

import static io.deepclust.training.cli.DeepclustCliTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deepclust.training.cli.DeepclustCliTest.Run;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bad-input corpus (issue 16): broken idx, PNG, SavedModel and bit codes files and bad option
 * values, each given to the command line in-process. Every one must exit 1 (a failure) or 2 (a
 * usage error) with exactly one line on stderr that names the file or option and the problem, no
 * stack trace on either stream, and every file that was there before byte-identical after, with
 * nothing written beside them.
 *
 * <p>The model is {@link TinyVab} (4×3×1 images, d = 10 bits): no training, the corpus runs in a
 * few seconds.
 */
class BadInputCorpusTest {
  @TempDir static Path root;
  static Path model;
  static Path goodIdx;
  static Path runDir;
  static Path out;

  /** One entry: the exit code, the arguments and what its one line must contain. */
  record Case(String name, int code, List<String> args, String... says) {}

  @BeforeAll
  static void corpus() throws IOException {
    model = new TinyVab(5).export(root.resolve("model"));
    goodIdx = root.resolve("good-idx3-ubyte");
    TinyVab.writeIdx(goodIdx, 3, 9);
    runDir = root.resolve("run");
    copy(model, runDir.resolve("export"));
    Files.writeString(runDir.resolve("config.json"), "{\"model\": \"vab\"}\n");
    Files.writeString(runDir.resolve("metrics.jsonl"), "{\"epoch\": 1}\n");
    Files.createDirectories(runDir.resolve("checkpoint-6"));
    Files.writeString(runDir.resolve("checkpoint-6/state.json"), "{}\n");
    out = root.resolve("out");
    Files.createDirectories(out);
  }

  @TestFactory
  Stream<DynamicTest> everyBadInputFailsWithOneLineAndChangesNothing() throws IOException {
    return cases().stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> check(c)));
  }

  static void check(Case c) {
    Map<String, byte[]> before = snapshot();
    Run r = run(c.args().toArray(new String[0]));
    String err = r.err().strip();
    assertEquals(c.code(), r.code(), c.name() + ": " + err);
    assertEquals(1, err.lines().count(), c.name() + ": one line, got:\n" + r.err());
    for (String part : c.says()) {
      assertTrue(err.contains(part), c.name() + ": '" + part + "' not in: " + err);
    }
    for (String stream : new String[] {r.err(), r.out()}) {
      assertFalse(stream.contains("Exception"), c.name() + ": exception text: " + stream);
      assertFalse(
          stream.contains("\tat ") || stream.contains("at io."),
          c.name() + ": stack trace: " + stream);
    }
    Map<String, byte[]> after = snapshot();
    assertEquals(before.keySet(), after.keySet(), c.name() + ": files added or removed");
    for (var e : before.entrySet()) {
      assertTrue(
          Arrays.equals(e.getValue(), after.get(e.getKey())),
          c.name() + ": " + e.getKey() + " changed");
    }
  }

  static List<Case> cases() throws IOException {
    List<Case> cases = new ArrayList<>();
    String m = model.toString();

    // --- idx image files, through predict and compress ---
    Map<String, Path> idx = new TreeMap<>();
    idx.put("wrong magic number", file("magic-idx3-ubyte", idx(0x00000903, 1, 4, 3, 12)));
    idx.put("truncated header", file("header-idx3-ubyte", cut(idx(0x803, 1, 4, 3, 12), 6)));
    idx.put("truncated data", file("short-idx3-ubyte", idx(0x803, 3, 4, 3, 20)));
    idx.put("trailing bytes", file("long-idx3-ubyte", idx(0x803, 2, 4, 3, 31)));
    idx.put("in a file of 32 bytes", file("huge-idx3-ubyte", idx(0x803, 178_000_000, 4, 3, 16)));
    idx.put("invalid size of dimension 0", file("negative-idx3-ubyte", idx(0x803, -1, 4, 3, 12)));
    idx.put("exceed one Java array", file("overflow-idx3-ubyte", idx(0x803, 1 << 30, 4, 3, 12)));
    idx.put("holds no images", file("empty-idx3-ubyte", idx(0x803, 0, 4, 3, 0)));
    idx.put("the model expects 4x3", file("size-idx3-ubyte", idx(0x803, 1, 28, 28, 784)));
    idx.put("looks like a labels file", file("labels-idx1-ubyte", idx(0x801, 12, -1, -1, 12)));
    idx.put("does not start with the gzip magic", file("plain.gz", idx(0x803, 1, 4, 3, 12)));
    idx.put("not valid gzip", file("corrupt.gz", corrupt(gzip(idx(0x803, 40, 4, 3, 480)))));
    idx.put("gzip header", file("stub.gz", cut(gzip(idx(0x803, 1, 4, 3, 12)), 6)));
    byte[] longGzip = gzip(idx(0x803, 400, 4, 3, 4800));
    idx.put("after decompressing", file("cut.gz", cut(longGzip, longGzip.length / 2)));
    for (var e : idx.entrySet()) {
      String f = e.getValue().toString();
      cases.add(new Case("predict " + e.getKey(), 1, predict(m, f), f, e.getKey()));
    }
    String trailing = idx.get("trailing bytes").toString();
    cases.add(new Case("compress trailing", 1, compress(m, trailing), trailing, "7 trailing"));

    // --- PNG folders ---
    Path notPng = folder("not-png", Map.of("a.png", "GIF89a".getBytes()));
    Path cutPng = folder("cut-png", Map.of("a.png", cut(png(3, 4), 40)));
    Path bigPng = folder("big-png", Map.of("a.png", png(5, 5)));
    Path noPng = folder("no-png", Map.of("notes.txt", "x".getBytes()));
    Path nested = folder("nested", Map.of("a.png", png(3, 4), "sevens/b.png", png(3, 4)));
    Path none = root.resolve("no-such-input");
    Map<String, List<Path>> png = new TreeMap<>();
    png.put("not a PNG", List.of(notPng, notPng.resolve("a.png")));
    png.put("not a readable PNG", List.of(cutPng, cutPng.resolve("a.png")));
    png.put("image is 5x5", List.of(bigPng, bigPng.resolve("a.png")));
    png.put("holds no .png files", List.of(noPng, noPng));
    png.put("1 subfolder (sevens)", List.of(nested, nested));
    png.put("does not exist", List.of(none, none));
    for (var e : png.entrySet()) {
      String input = e.getValue().get(0).toString();
      String named = e.getValue().get(1).toString();
      cases.add(new Case("predict PNG " + e.getKey(), 1, predict(m, input), named, e.getKey()));
    }

    // --- SavedModel directories, through every command that loads one ---
    Map<String, Path> dirs = new TreeMap<>();
    dirs.put("no such directory", root.resolve("no-such-model"));
    dirs.put("not a SavedModel: no saved_model.pb", folder("empty-dir", Map.of()));
    dirs.put("not a directory", file("model-file", new byte[] {1}));
    dirs.put("a run directory, not a SavedModel: use " + runDir.resolve("export"), runDir);
    String in = goodIdx.toString();
    for (var e : dirs.entrySet()) {
      String says = e.getValue() + ": " + e.getKey();
      String d = e.getValue().toString();
      cases.add(new Case("predict " + e.getKey(), 1, predict(d, in), says));
      cases.add(new Case("compress " + e.getKey(), 1, compress(d, in), says));
      cases.add(new Case("generate " + e.getKey(), 1, generate(d), says));
    }

    // --- bit codes files, through classify-bits (the model's d is 10: 2 bytes a code) ---
    Map<String, Path> bits = new TreeMap<>();
    bits.put("not a bit codes file", file("magic.bits", bits("DCB2", 1, 10, 2)));
    bits.put("the header alone needs 12", file("header.bits", cut(bits("DCB1", 1, 10, 0), 7)));
    bits.put("needs 16 for 2 codes", file("short.bits", bits("DCB1", 2, 10, 3)));
    bits.put("1 trailing", file("long.bits", bits("DCB1", 2, 10, 5)));
    bits.put("declares d = 0", file("width0.bits", bits("DCB1", 1, 0, 2)));
    bits.put("declares d = 65536", file("wide.bits", bits("DCB1", 1, 65536, 2)));
    bits.put("declares n = 0", file("none.bits", bits("DCB1", 0, 10, 0)));
    bits.put("needs 8589934602", file("huge.bits", bits("DCB1", -1, 10, 4)));
    bits.put("unused low bits", file("padding.bits", padding(bits("DCB1", 1, 10, 2))));
    bits.put("latent_dim = 10", file("d12.bits", bits("DCB1", 1, 12, 2)));
    bits.put("does not exist", root.resolve("missing.bits"));
    for (var e : bits.entrySet()) {
      String f = e.getValue().toString();
      cases.add(new Case("classify-bits " + e.getKey(), 1, classifyBits(m, f), f, e.getKey()));
    }

    // --- bad option values: usage errors before anything is read or written ---
    for (String[] option : new String[][] {{"--epochs", "0"}, {"--batch-size", "-3"}}) {
      cases.add(new Case("train " + String.join(" ", option), 2, train(option), option));
    }
    cases.add(new Case("train --train-limit -5", 2, train("--train-limit", "-5"), "-5"));
    cases.add(new Case("train --dataset cifar", 2, train("--dataset", "cifar"), "dataset 'cifar'"));
    cases.add(
        new Case("train --bits 65536", 2, train("--model", "vab", "--bits", "65536"), "65536"));
    cases.add(new Case("evaluate --limit 0", 2, evaluate(m, "--limit", "0"), "--limit", "0"));
    List<String> steps = concat(generate(m), "--interpolate", "z", "--steps", "1");
    cases.add(new Case("generate --steps 1", 2, steps, "--steps", "1"));
    cases.add(new Case("predict no --input", 2, List.of("predict", "--model-dir", m), "--input"));
    return cases;
  }

  static List<String> predict(String model, String input) {
    return List.of("predict", "--model-dir", model, "--input", input, "--output", output("o.csv"));
  }

  static List<String> compress(String model, String input) {
    return List.of(
        "compress", "--model-dir", model, "--input", input, "--output", output("o.bits"));
  }

  static List<String> classifyBits(String model, String input) {
    return List.of(
        "classify-bits", "--model-dir", model, "--input", input, "--output", output("o.csv"));
  }

  static List<String> generate(String model) {
    return List.of("generate", "--model-dir", model, "--out", output("g.png"));
  }

  static List<String> evaluate(String model, String... more) {
    return concat(List.of("evaluate", "--model-dir", model), more);
  }

  /** {@code train} on the existing run directory, whose files must stay as they are. */
  static List<String> train(String... more) {
    return concat(List.of("train", "--run-dir", runDir.toString()), more);
  }

  static String output(String name) {
    return out.resolve(name).toString();
  }

  static List<String> concat(List<String> head, String... more) {
    List<String> all = new ArrayList<>(head);
    all.addAll(List.of(more));
    return all;
  }

  /**
   * An idx header (dimensions of -1 left out) and {@code bytes} random bytes of data, which do not
   * compress: a gzip stream cut in half ends inside the data.
   */
  static byte[] idx(int magic, int d0, int d1, int d2, int bytes) {
    byte[] data = new byte[bytes];
    new Random(bytes).nextBytes(data);
    ByteBuffer b = ByteBuffer.allocate(16 + bytes).putInt(magic).putInt(d0);
    for (int d : new int[] {d1, d2}) {
      if (d >= 0) {
        b.putInt(d);
      }
    }
    b.put(data);
    return Arrays.copyOf(b.array(), b.position());
  }

  /** A bit codes header and {@code bytes} code bytes (all zero). */
  static byte[] bits(String magic, int n, int d, int bytes) {
    ByteBuffer b = ByteBuffer.allocate(12 + bytes).put(magic.getBytes()).putInt(n).putInt(d);
    return b.array();
  }

  /** Sets the lowest (padding) bit of the last byte of the one 10-bit code. */
  static byte[] padding(byte[] file) {
    file[file.length - 1] = 1;
    return file;
  }

  static byte[] gzip(byte[] bytes) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    try (GZIPOutputStream z = new GZIPOutputStream(b)) {
      z.write(bytes);
    }
    return b.toByteArray();
  }

  /** Overwrites the first deflate block header: 0xff there is an invalid block type. */
  static byte[] corrupt(byte[] gz) {
    Arrays.fill(gz, 10, 14, (byte) 0xff);
    return gz;
  }

  static byte[] cut(byte[] bytes, int length) {
    return Arrays.copyOf(bytes, length);
  }

  static byte[] png(int w, int h) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    ImageIO.write(new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY), "png", b);
    return b.toByteArray();
  }

  static Path file(String name, byte[] bytes) throws IOException {
    return Files.write(root.resolve(name), bytes);
  }

  static Path folder(String name, Map<String, byte[]> files) throws IOException {
    Path dir = Files.createDirectories(root.resolve(name));
    for (var e : files.entrySet()) {
      Path f = dir.resolve(e.getKey());
      Files.createDirectories(f.getParent());
      Files.write(f, e.getValue());
    }
    return dir;
  }

  static void copy(Path from, Path to) throws IOException {
    try (Stream<Path> s = Files.walk(from)) {
      for (Path p : s.toList()) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target);
        }
      }
    }
  }

  /** Every file and folder under the corpus root, with the files' bytes. */
  static Map<String, byte[]> snapshot() {
    Map<String, byte[]> files = new TreeMap<>();
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : s.toList()) {
        String key = root.relativize(p).toString();
        files.put(
            Files.isDirectory(p) ? key + "/" : key,
            Files.isDirectory(p) ? new byte[0] : Files.readAllBytes(p));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return files;
  }
}
