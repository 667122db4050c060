package io.deepclust.inference;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.SavedModel;

/**
 * Checks of a SavedModel's files that TensorFlow's loader leaves to the first call.
 *
 * <p>TensorFlow loads a SavedModel whose {@code variables/} directory (or its index) is missing
 * without a word ("no checkpoints were restored") and fails only when a signature reads a variable
 * ("uninitialized value", "Could not find variable"), without naming the directory. A model whose
 * {@code serve} graph holds variables therefore needs {@code variables/variables.index} and every
 * data shard {@code variables.data-<i>-of-<n>} before it is loaded.
 */
final class SavedModelFiles {
  static final String VARIABLES_DIR = "variables";
  static final String INDEX_FILE = "variables.index";

  /** Graph ops that hold a variable (TF1 ref variables and TF2 resource variables). */
  private static final Set<String> VARIABLE_OPS =
      Set.of("VariableV2", "Variable", "VarHandleOp", "AutoReloadVariable");

  private static final Pattern SHARD = Pattern.compile("variables\\.data-(\\d{5})-of-(\\d{5})");

  private SavedModelFiles() {}

  /**
   * Throws a one-line {@link ContractException} naming {@code dir/variables} and what is missing if
   * the {@code serve} graph in {@code dir/saved_model.pb} has variables and their files are not all
   * there. A model without variables, or one stored as {@code saved_model.pbtxt}, passes.
   */
  static void requireVariables(Path dir) {
    Path pb = dir.resolve("saved_model.pb");
    if (!Files.isRegularFile(pb)) return;
    int variables = variableCount(pb);
    if (variables == 0) return;
    Path vars = dir.resolve(VARIABLES_DIR);
    String why = "the graph has " + variables + " variable(s), whose values are stored there";
    if (!Files.isDirectory(vars)) {
      throw new ContractException(vars + ": missing, but " + why);
    }
    if (!Files.isRegularFile(vars.resolve(INDEX_FILE))) {
      throw new ContractException(vars + ": " + INDEX_FILE + " missing, but " + why);
    }
    TreeSet<String> missing = missingShards(vars);
    if (!missing.isEmpty()) {
      throw new ContractException(vars + ": data shard(s) " + missing + " missing, but " + why);
    }
  }

  /** Variable ops in the {@code serve} meta graph of {@code pb} (0 if it has none). */
  private static int variableCount(Path pb) {
    SavedModel model;
    try (InputStream in = Files.newInputStream(pb)) {
      model = SavedModel.parseFrom(in);
    } catch (IOException e) {
      throw new ContractException(pb + ": cannot read as a SavedModel: " + e.getMessage(), e);
    }
    for (MetaGraphDef mg : model.getMetaGraphsList()) {
      if (!mg.getMetaInfoDef().getTagsList().contains(Contract.TAG)) continue;
      int n = 0;
      for (NodeDef node : mg.getGraphDef().getNodeList()) {
        if (VARIABLE_OPS.contains(node.getOp())) n++;
      }
      return n;
    }
    return 0;
  }

  /**
   * The data shards that {@code vars} lacks: the shard count is read from the names of those
   * present ({@code -of-<n>}); none present at all means the first is missing.
   */
  private static TreeSet<String> missingShards(Path vars) {
    TreeSet<String> present = new TreeSet<>();
    int count = 0;
    try (DirectoryStream<Path> files = Files.newDirectoryStream(vars, "variables.data-*")) {
      for (Path f : files) {
        Matcher m = SHARD.matcher(f.getFileName().toString());
        if (m.matches()) {
          present.add(f.getFileName().toString());
          count = Math.max(count, Integer.parseInt(m.group(2)));
        }
      }
    } catch (IOException e) {
      throw new ContractException(vars + ": cannot list: " + e.getMessage(), e);
    }
    TreeSet<String> missing = new TreeSet<>();
    for (int i = 0; i < Math.max(count, 1); i++) {
      String name = String.format("variables.data-%05d-of-%05d", i, Math.max(count, 1));
      if (!present.contains(name)) missing.add(name);
    }
    return missing;
  }
}
