package io.deepclust.training.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SweepPlotTest {
  static void result(Path dir, String name, double acc, double psnr) throws Exception {
    Files.writeString(dir.resolve(name), "{\"final\": {\"test_acc\": " + acc + ", \"test_psnr\": "
        + psnr + "}, \"config\": {\"inputShape\": [28, 28, 1]}}");
  }

  @Test
  void pointsAreMeansStandardErrorsAndBestSeedsByCodeLength(@TempDir Path dir) throws Exception {
    result(dir, "vab-mnist-bits8-seed1.json", 0.50, 16);
    result(dir, "vab-mnist-bits8-seed2.json", 0.60, 14);
    result(dir, "vab-mnist-bits28-seed1.json", 0.70, 18);
    result(dir, "other-bits8-seed1.json", 0.99, 99);
    Files.writeString(dir.resolve("vade-mnist-seed1.json"), "{\"final\": {\"test_acc\": 0.8}}");
    Files.writeString(dir.resolve("vade-mnist-seed2.json"), "{\"final\": {\"test_acc\": 0.7}}");
    List<SweepPlot.Point> p = SweepPlot.points(dir, "vab-mnist");
    assertEquals(2, p.size());
    assertEquals(8, p.get(0).bits());
    assertEquals(8.0 / 784, p.get(0).bpp(), 0);
    assertEquals(55.0, p.get(0).accMean(), 1e-9);
    // sd of {50, 60} = 7.0711, / √2 = 5
    assertEquals(5.0, p.get(0).accStandardError(), 1e-9);
    assertEquals(1.0, p.get(0).psnrStandardError(), 1e-9);
    assertEquals(0.0, p.get(1).accStandardError(), 0);
    assertEquals(60.0, p.get(0).accBest(), 1e-9, "seed 2's ACC");
    assertEquals(14.0, p.get(0).psnrOfAccBest(), 0, "seed 2's PSNR, not the mean or the max");
    assertEquals(75.0, SweepPlot.vadeTestAcc(dir), 1e-9);

    Path png = dir.resolve("plots/sweep.png");
    SweepPlot.write(p, 75.0, png);
    var image = ImageIO.read(png.toFile());
    assertEquals(1280, image.getWidth());
    assertEquals(440, image.getHeight());
  }

  @Test
  void anEmptySweepIsAClearError(@TempDir Path dir) {
    var e = assertThrows(IllegalArgumentException.class, () -> SweepPlot.points(dir, "vab-mnist"));
    assertEquals("no vab-mnist-bits<d>-seed<s>.json in " + dir, e.getMessage());
  }
}
