package io.deepclust.training.report;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.deepclust.training.io.AtomicFile;
import java.awt.Color;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The VAB sweep figure (vab-bernoulli-mixture-vae.txt Fig. 1): test ACC and PSNR against bits per
 * pixel, mean ± standard error over seeds of the runs {@code <benchmark>-bits<d>-seed<s>.json} in a
 * results folder, and the best seed per d (chosen by its test ACC, i.e. by labels: the kind of
 * number the paper's Table 1 reports as "Best", drawn dashed), with VaDE's mean test ACC (from
 * {@code vade-mnist-seed*.json}) as a line.
 */
public final class SweepPlot {
  private static final Pattern RUN = Pattern.compile("(.+)-bits(\\d+)-seed(\\d+)\\.json");

  private SweepPlot() {}

  /** One code length: BPP = d / pixels, and the per-seed test ACC (%) and PSNR (dB). */
  public record Point(int bits, double bpp, List<Double> acc, List<Double> psnr) {
    public double accMean() {
      return mean(acc);
    }

    public double accStandardError() {
      return standardError(acc);
    }

    /** The best seed's ACC (%): chosen by labels, as the paper's "Best". */
    public double accBest() {
      return acc.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
    }

    /** The PSNR (dB) of the seed with the best ACC (its code, not the best PSNR of any seed). */
    public double psnrOfAccBest() {
      return psnr.get(acc.indexOf(accBest()));
    }

    public double psnrMean() {
      return mean(psnr);
    }

    public double psnrStandardError() {
      return standardError(psnr);
    }
  }

  /** The sweep's points by code length, from the results folder. */
  public static List<Point> points(Path results, String benchmark) {
    Map<Integer, Point> byBits = new TreeMap<>();
    for (Path p : list(results)) {
      Matcher m = RUN.matcher(p.getFileName().toString());
      if (!m.matches() || !m.group(1).equals(benchmark)) {
        continue;
      }
      JsonObject r = read(p);
      JsonObject f = r.getAsJsonObject("final");
      if (!f.has("test_acc") || !f.has("test_psnr")) {
        throw new IllegalArgumentException(p + " has no final test_acc and test_psnr");
      }
      int bits = Integer.parseInt(m.group(2));
      var shape = r.getAsJsonObject("config").getAsJsonArray("inputShape");
      int pixels = 1;
      for (var v : shape) {
        pixels *= v.getAsInt();
      }
      int px = pixels;
      Point point = byBits.computeIfAbsent(bits, b -> new Point(b, (double) b / px,
          new ArrayList<>(), new ArrayList<>()));
      point.acc().add(100 * f.get("test_acc").getAsDouble());
      point.psnr().add(f.get("test_psnr").getAsDouble());
    }
    if (byBits.isEmpty()) {
      throw new IllegalArgumentException("no " + benchmark + "-bits<d>-seed<s>.json in " + results);
    }
    return new ArrayList<>(byBits.values());
  }

  /** Mean test ACC (%) of the VaDE benchmark's seeds, or NaN when there is none. */
  public static double vadeTestAcc(Path results) {
    List<Double> acc = new ArrayList<>();
    for (Path p : list(results)) {
      if (p.getFileName().toString().matches("vade-mnist-seed\\d+\\.json")) {
        acc.add(100 * read(p).getAsJsonObject("final").get("test_acc").getAsDouble());
      }
    }
    return acc.isEmpty() ? Double.NaN : mean(acc);
  }

  /** Writes the two panels (ACC, PSNR against BPP) as one PNG, atomically. */
  public static void write(List<Point> points, double vadeAcc, Path target) {
    double[] x = points.stream().mapToDouble(Point::bpp).toArray();
    XYChart acc = chart("Clustering accuracy (test split)", "ACC (%)");
    XYSeries s = acc.addSeries("VAB, mean ± SE", x,
        points.stream().mapToDouble(Point::accMean).toArray(),
        points.stream().mapToDouble(Point::accStandardError).toArray());
    s.setMarker(SeriesMarkers.CIRCLE);
    best(acc, x, points.stream().mapToDouble(Point::accBest).toArray());
    if (!Double.isNaN(vadeAcc)) {
      acc.addSeries("VaDE (its benchmark)", new double[] {x[0], x[x.length - 1]},
          new double[] {vadeAcc, vadeAcc}).setMarker(SeriesMarkers.NONE).setLineColor(Color.GRAY);
    }
    XYChart psnr = chart("Reconstruction quality (test split)", "PSNR (dB)");
    psnr.addSeries("VAB, mean ± SE", x, points.stream().mapToDouble(Point::psnrMean).toArray(),
        points.stream().mapToDouble(Point::psnrStandardError).toArray())
        .setMarker(SeriesMarkers.CIRCLE);
    best(psnr, x, points.stream().mapToDouble(Point::psnrOfAccBest).toArray());
    for (double db : new double[] {20, 25}) {
      psnr.addSeries(db + " dB", new double[] {x[0], x[x.length - 1]}, new double[] {db, db})
          .setMarker(SeriesMarkers.NONE).setLineColor(Color.LIGHT_GRAY);
    }
    AtomicFile.write(target, out ->
        BitmapEncoder.saveBitmap(List.of(acc, psnr), 1, 2, out, BitmapEncoder.BitmapFormat.PNG));
  }

  /** The best-ACC seed's series, dashed, with no error bars. */
  private static void best(XYChart chart, double[] x, double[] y) {
    var s = chart.addSeries("VAB, best-ACC seed (by labels)", x, y);
    s.setMarker(SeriesMarkers.DIAMOND);
    s.setLineStyle(org.knowm.xchart.style.lines.SeriesLines.DASH_DASH);
  }

  private static XYChart chart(String title, String yTitle) {
    XYChart c = new XYChartBuilder().width(640).height(440).title(title)
        .xAxisTitle("bits per pixel, d / 784 (the paper's d / 1024 is 0.766 of it)")
        .yAxisTitle(yTitle).build();
    c.getStyler().setChartBackgroundColor(Color.WHITE);
    c.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.InsideSE);
    return c;
  }

  private static List<Path> list(Path results) {
    try (Stream<Path> s = Files.list(results)) {
      return s.sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + results, e);
    }
  }

  private static JsonObject read(Path p) {
    try {
      return JsonParser.parseString(Files.readString(p)).getAsJsonObject();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + p, e);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(p + " is not a benchmark result: " + e.getMessage(), e);
    }
  }

  static double mean(List<Double> v) {
    return v.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
  }

  /** Sample standard deviation / √n (0 for a single run). */
  static double standardError(List<Double> v) {
    if (v.size() < 2) {
      return 0;
    }
    double m = mean(v);
    double ss = v.stream().mapToDouble(d -> (d - m) * (d - m)).sum();
    return Math.sqrt(ss / (v.size() - 1)) / Math.sqrt(v.size());
  }
}
