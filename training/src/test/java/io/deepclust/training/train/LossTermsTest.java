package io.deepclust.training.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.op.Ops;

class LossTermsTest {
  @Test
  void keepsNamesOperandsAndOutputsInTheOrderAdded() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      var b = tf.constant(2f);
      var a = tf.constant(1f);
      LossTerms terms = new LossTerms().add("loss", b).add("aux", a);
      assertEquals(List.of("loss", "aux"), terms.names());
      assertEquals(List.of(b, a), terms.operands());
      var out = terms.outputs();
      out.put("logits", tf.constant(new float[] {0f, 1f}));
      assertEquals(List.of("loss", "aux", "logits"), List.copyOf(out.keySet()));
      assertSame(a, out.get("aux"));
      assertEquals(2, terms.names().size(), "outputs() is a copy");
    }
  }

  @Test
  void refusesANameGivenTwice() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      LossTerms terms = new LossTerms().add("loss", tf.constant(1f));
      var e = assertThrows(IllegalArgumentException.class,
          () -> terms.add("loss", tf.constant(2f)));
      assertEquals("loss term 'loss' named twice", e.getMessage());
    }
  }
}
