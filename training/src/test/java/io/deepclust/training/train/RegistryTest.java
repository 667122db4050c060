package io.deepclust.training.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.Gson;
import io.deepclust.graphs.Params;
import io.deepclust.graphs.models.ModelConfig;
import io.deepclust.inference.Contract;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.op.Ops;

/**
 * The registry is the one place that knows the models: it holds the contract's models, each
 * spec's config survives config.json, and no other main source lists the model names or writes
 * a model's loss-term names (read from the sources, so the test fails when someone adds a switch
 * or a second list).
 */
class RegistryTest {
  /** The main sources of every module, from the training module's directory (Maven's cwd). */
  static final List<Path> SOURCES = Stream.of("graphs", "savedmodels", "training", "inference",
      "spark").map(m -> Path.of("..", m, "src", "main", "java")).toList();

  @Test
  void theRegistryHoldsTheContractsModelsOnce() {
    Set<String> contract = new HashSet<>(Contract.MODELS);
    contract.remove(Contract.MODEL_GENERIC);
    assertEquals(contract, new HashSet<>(Models.NAMES));
    assertEquals(Models.NAMES.size(), new HashSet<>(Models.NAMES).size());
  }

  @Test
  void anUnknownModelIsAnErrorThatListsTheKnownOnes() {
    var e = assertThrows(IllegalArgumentException.class, () -> Models.spec("vae"));
    assertTrue(e.getMessage().contains("'vae'") && e.getMessage().contains("gmvae_gumbel"),
        e.getMessage());
  }

  @Test
  void eachDefaultConfigIsTheSameAfterConfigJson() {
    Gson gson = new Gson();
    for (ModelSpec<?> spec : Models.ALL) {
      var json = spec.configJson(ConfigOptions.mnist(7));
      ModelConfig c = spec.config(json);
      assertEquals(json, gson.toJsonTree(c), spec.name());
      assertEquals(7L, c.seed(), spec.name());
      assertEquals(List.of(28, 28, 1), List.of(c.inputShape()[0], c.inputShape()[1],
          c.inputShape()[2]), spec.name());
    }
  }

  /** Java source text without comments, so that documentation may name what it explains. */
  static String code(Path file) {
    try {
      return Files.readString(file).replaceAll("(?s)/\\*.*?\\*/", "").replaceAll("//[^\n]*", "");
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  static List<Path> mainSources() throws IOException {
    List<Path> out = new ArrayList<>();
    for (Path root : SOURCES) {
      try (Stream<Path> s = Files.walk(root)) {
        s.filter(p -> p.toString().endsWith(".java")).forEach(out::add);
      }
    }
    assertTrue(out.size() > 50, "found only " + out.size() + " sources under " + SOURCES);
    return out;
  }

  @Test
  void noOtherSourceRefersToMoreThanOneModelByName() throws IOException {
    // A model is named by its string or its MODEL constant; a file naming two is a list or a
    // switch, allowed only in the registry and the contract (k-DVAE's initialising VaDE aside).
    Pattern ref = Pattern.compile("\\b(GmvaeGumbel|Vade|Kdvae|VariationalClustering|Vab)\\.MODEL"
        + "\\b|\"(gmvae_gumbel|vade|kdvae|vc|vab)\"");
    Map<String, Set<String>> offenders = new TreeMap<>();
    for (Path file : mainSources()) {
      String name = file.getFileName().toString();
      if (name.equals("Models.java") || name.equals("Contract.java")) {
        continue;
      }
      Set<String> named = new HashSet<>();
      Matcher m = ref.matcher(code(file));
      while (m.find()) {
        named.add(m.group(1) != null ? m.group(1) : m.group(2));
      }
      if (named.size() > 1) {
        offenders.put(file.toString(), named);
      }
    }
    assertEquals(Map.of(), offenders);
  }

  @Test
  void eachModelsLossTermNamesAreWrittenInItsOwnSourceOnly() throws IOException {
    // A term two models share (categorical_kl) is written once by each: as many files as models.
    Map<String, Set<String>> models = new TreeMap<>();
    for (ModelSpec<?> spec : Models.ALL) {
      for (String term : termNames(spec)) {
        models.computeIfAbsent(term, k -> new TreeSet<>()).add(spec.name());
      }
    }
    // The objective and the reconstruction are common words (signature outputs too).
    models.keySet().removeAll(Set.of("loss", "reconstruction"));
    assertTrue(models.size() >= 10, "found only " + models.keySet());
    Map<Path, String> code = new HashMap<>();
    mainSources().forEach(f -> code.put(f, code(f)));
    models.forEach((term, named) -> {
      List<String> files = code.entrySet().stream()
          .filter(e -> e.getValue().contains("\"" + term + "\""))
          .map(e -> e.getKey().getFileName().toString()).toList();
      assertEquals(named.size(), files.size(), term + " of " + named + " written in " + files);
    });
  }

  /** The loss terms of a model's main phase, from its eager step graph on a tiny config. */
  static Set<String> termNames(ModelSpec<?> spec) {
    ModelConfig c = EagerParityTest.config(spec.name());
    var phases = List.copyOf(spec.eagerPhases(new Gson().toJsonTree(c)).values());
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      var built = phases.get(phases.size() - 1).graph().build(tf, new Params(tf, c.seed()));
      return built.outputs().keySet();
    }
  }
}
