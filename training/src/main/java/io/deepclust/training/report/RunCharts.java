package io.deepclust.training.report;

import com.google.gson.JsonObject;
import io.deepclust.training.io.AtomicFile;
import java.awt.BasicStroke;
import java.awt.Color;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.knowm.xchart.AnnotationLine;
import org.knowm.xchart.AnnotationText;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.HeatMapChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.Marker;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** The XChart figures of a run report, each written as a PNG atomically. */
public final class RunCharts {
  /** Size of the losses and metrics charts. */
  public static final int CURVES_WIDTH = 900;
  public static final int CURVES_HEIGHT = 520;
  /** Size of one panel of the embedding figure (two side by side). */
  public static final int PANEL_WIDTH = 640;
  public static final int PANEL_HEIGHT = 600;
  /** Size of the confusion heatmap. */
  public static final int CONFUSION_WIDTH = 760;
  public static final int CONFUSION_HEIGHT = 680;
  /** Runs up to this many epochs get a marker on every point. */
  private static final int MARKED_EPOCHS = 30;
  private static final Marker[] METRIC_MARKERS =
      {SeriesMarkers.CIRCLE, SeriesMarkers.SQUARE, SeriesMarkers.DIAMOND};
  private static final BasicStroke[] SET_LINES =
      {SeriesLines.SOLID, SeriesLines.DASH_DASH, SeriesLines.DOT_DOT};
  /** tab10, then more hues for labels or clusters past 10. */
  private static final Color[] TAB10 = {new Color(0x1f77b4), new Color(0xff7f0e),
      new Color(0x2ca02c), new Color(0xd62728), new Color(0x9467bd), new Color(0x8c564b),
      new Color(0xe377c2), new Color(0x7f7f7f), new Color(0xbcbd22), new Color(0x17becf)};

  private RunCharts() {}

  /** Colour {@code i} of a palette: tab10, then hues spaced by the golden angle. */
  static Color colour(int i) {
    if (i < TAB10.length) {
      return TAB10[i];
    }
    float hue = (float) ((i - TAB10.length) * 0.381966) % 1f;
    return Color.getHSBColor(hue, 0.65f, 0.8f);
  }

  /**
   * Each loss term per epoch, one line per term; with several phases, one line per term and phase
   * (so no line joins the scales of two phases) and dashed lines between the phases.
   */
  public static void losses(MetricsLog log, Path target) {
    XYChart chart = curves("Loss terms per epoch (mean over the training batches)", "value");
    List<MetricsLog.Phase> phases = log.phases();
    double top = Double.NEGATIVE_INFINITY;
    for (String term : log.lossTerms()) {
      for (MetricsLog.Phase phase : phases) {
        List<double[]> points = new ArrayList<>();
        for (JsonObject line : log.lines()) {
          int epoch = MetricsLog.epoch(line);
          double v = MetricsLog.value(line, term);
          if (epoch >= phase.firstEpoch() && epoch <= phase.lastEpoch() && Double.isFinite(v)) {
            points.add(new double[] {epoch, v});
            top = Math.max(top, v);
          }
        }
        if (!points.isEmpty()) {
          addLine(chart, phases.size() > 1 ? term + " (" + phase.name() + ")" : term, points,
              log.lines().size());
        }
      }
    }
    markPhases(chart, phases, top);
    spanEpochs(chart, log);
    write(List.of(chart), 1, target);
  }

  /** ACC, NMI and ARI (%) of each evaluated set per epoch. */
  public static void metrics(MetricsLog log, Path target) {
    XYChart chart = curves("Clustering metrics per epoch", "%");
    int series = 0;
    List<String> sets = log.evaluatedSets();
    List<String> metrics = List.of("acc", "nmi", "ari");
    for (int si = 0; si < sets.size(); si++) {
      for (int mi = 0; mi < metrics.size(); mi++) {
        String key = sets.get(si) + "_" + metrics.get(mi);
        List<double[]> points = new ArrayList<>();
        for (JsonObject line : log.lines()) {
          double v = MetricsLog.value(line, key);
          if (Double.isFinite(v)) {
            points.add(new double[] {MetricsLog.epoch(line), 100 * v});
          }
        }
        if (!points.isEmpty()) {
          XYSeries s = addLine(chart, sets.get(si) + " "
              + metrics.get(mi).toUpperCase(Locale.ROOT), points, log.lines().size());
          // A colour per metric, a line style per set; curves often coincide (NMI = ARI = 0
          // after a collapse), so each metric also has its own marker.
          s.setLineColor(colour(mi));
          s.setMarkerColor(colour(mi));
          s.setLineStyle(SET_LINES[si % SET_LINES.length]);
          if (log.lines().size() <= MARKED_EPOCHS) {
            s.setMarker(METRIC_MARKERS[mi]);
          }
          series++;
        }
      }
    }
    if (series == 0) {
      chart.setTitle("Clustering metrics per epoch: no epoch was evaluated");
      chart.addSeries("none", new double[] {0}, new double[] {0}).setShowInLegend(false);
    }
    chart.getStyler().setYAxisMax(100.0);
    markPhases(chart, log.phases(), 100);
    spanEpochs(chart, log);
    write(List.of(chart), 1, target);
  }

  /**
   * The 2-D PCA of the embeddings, two panels side by side: points coloured by assigned cluster
   * (each cluster in the colour of the label it is matched to), and by true label.
   *
   * @param xy one (PC1, PC2) row per image
   * @param confusion the matching that gives each cluster its colour
   */
  public static void embedding(double[][] xy, int[] clusters, int[] labels,
      MatchedConfusion confusion, int numLabels, Pca pca, Path target) {
    String xTitle = String.format("PC1 (%.1f%% of the variance)",
        100 * pca.explainedVarianceRatio(0));
    String yTitle = pca.dims() > 1 ? String.format("PC2 (%.1f%% of the variance)",
        100 * pca.explainedVarianceRatio(1)) : "PC2 (none: z has one dimension)";
    XYChart byCluster = scatter("Coloured by assigned cluster", xTitle, yTitle);
    XYChart byLabel = scatter("Coloured by true label", xTitle, yTitle);
    int unmatched = 0;
    for (int row = 0; row < confusion.rows(); row++) {
      int k = confusion.clusters()[row];
      int label = confusion.matchedLabels()[row];
      Color c = label >= 0 ? colour(label) : colour(numLabels + unmatched++);
      String name = label >= 0 ? "k" + k + " → " + label : "k" + k;
      addPoints(byCluster, name, xy, clusters, k, c);
    }
    for (int label = 0; label < numLabels; label++) {
      addPoints(byLabel, Integer.toString(label), xy, labels, label, colour(label));
    }
    write(List.of(byCluster, byLabel), 2, target);
  }

  /** The matched contingency table as a heatmap with its counts; row 0 at the top. */
  public static void confusion(MatchedConfusion m, Path target) {
    HeatMapChart chart = new HeatMapChartBuilder().width(CONFUSION_WIDTH)
        .height(CONFUSION_HEIGHT)
        .title(String.format("Clusters × labels, clusters matched to labels (ACC %.2f%%)",
            100 * m.acc()))
        .xAxisTitle("true label").yAxisTitle("cluster → matched label").build();
    var styler = chart.getStyler();
    styler.setChartBackgroundColor(Color.WHITE);
    styler.setShowValue(true);
    styler.setHeatMapValueDecimalPattern("#");
    styler.setRangeColors(new Color[] {Color.WHITE, new Color(0x9ecae1), new Color(0x3182bd)});
    styler.setValueFontColor(Color.BLACK);
    styler.setLegendPosition(Styler.LegendPosition.OutsideE);
    List<String> xs = new ArrayList<>();
    for (int c = 0; c < m.columns(); c++) {
      xs.add(Integer.toString(c));
    }
    List<String> ys = new ArrayList<>();
    List<Number[]> heat = new ArrayList<>();
    for (int y = 0; y < m.rows(); y++) {
      int row = m.rows() - 1 - y;
      int label = m.matchedLabels()[row];
      ys.add("k" + m.clusters()[row] + (label >= 0 ? " → " + label : ""));
      for (int c = 0; c < m.columns(); c++) {
        heat.add(new Number[] {c, y, m.counts()[row][c]});
      }
    }
    chart.addSeries("count", xs, ys, heat);
    write(List.of(chart), 1, target);
  }

  private static XYChart curves(String title, String yTitle) {
    XYChart c = new XYChartBuilder().width(CURVES_WIDTH).height(CURVES_HEIGHT).title(title)
        .xAxisTitle("epoch").yAxisTitle(yTitle).build();
    c.getStyler().setChartBackgroundColor(Color.WHITE);
    c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
    c.getStyler().setXAxisDecimalPattern("#");
    c.getStyler().setSeriesColors(palette(40));
    c.getStyler().setAnnotationLineColor(Color.GRAY);
    c.getStyler().setAnnotationLineStroke(new BasicStroke(1f, BasicStroke.CAP_BUTT,
        BasicStroke.JOIN_MITER, 10f, new float[] {6f, 4f}, 0f));
    c.getStyler().setAnnotationTextFontColor(Color.DARK_GRAY);
    return c;
  }

  private static XYChart scatter(String title, String xTitle, String yTitle) {
    XYChart c = new XYChartBuilder().width(PANEL_WIDTH).height(PANEL_HEIGHT).title(title)
        .xAxisTitle(xTitle).yAxisTitle(yTitle).build();
    c.getStyler().setChartBackgroundColor(Color.WHITE);
    c.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
    c.getStyler().setMarkerSize(4);
    c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
    return c;
  }

  private static XYSeries addLine(XYChart chart, String name, List<double[]> points,
      int epochs) {
    XYSeries s = chart.addSeries(name, points.stream().mapToDouble(p -> p[0]).toArray(),
        points.stream().mapToDouble(p -> p[1]).toArray());
    s.setMarker(epochs <= MARKED_EPOCHS ? SeriesMarkers.CIRCLE : SeriesMarkers.NONE);
    return s;
  }

  private static void addPoints(XYChart chart, String name, double[][] xy, int[] ids, int id,
      Color colour) {
    double[] x = new double[xy.length];
    double[] y = new double[xy.length];
    int n = 0;
    for (int i = 0; i < xy.length; i++) {
      if (ids[i] == id) {
        x[n] = xy[i][0];
        y[n++] = xy[i][1];
      }
    }
    if (n > 0) {
      XYSeries s = chart.addSeries(name, Arrays.copyOf(x, n), Arrays.copyOf(y, n));
      s.setMarker(SeriesMarkers.CIRCLE);
      s.setMarkerColor(colour);
    }
  }

  /** A dashed vertical line between consecutive phases, labelled with the next phase's name. */
  private static void markPhases(XYChart chart, List<MetricsLog.Phase> phases, double top) {
    if (phases.size() < 2 || !Double.isFinite(top)) {
      return;
    }
    for (int i = 1; i < phases.size(); i++) {
      double x = phases.get(i).firstEpoch() - 0.5;
      chart.addAnnotation(new AnnotationLine(x, true, false));
      chart.addAnnotation(new AnnotationText(phases.get(i).name() + " →", x, top, false));
    }
  }

  /** The x axis from the first to the last epoch, so the losses and metrics charts align. */
  private static void spanEpochs(XYChart chart, MetricsLog log) {
    int first = MetricsLog.epoch(log.lines().get(0));
    int last = MetricsLog.epoch(log.last());
    if (last > first) {
      chart.getStyler().setXAxisMin((double) first);
      chart.getStyler().setXAxisMax((double) last);
    }
  }

    private static Color[] palette(int n) {
    Color[] p = new Color[n];
    for (int i = 0; i < n; i++) {
      p[i] = colour(i);
    }
    return p;
  }

  private static void write(List<? extends Chart<?, ?>> charts, int cols, Path target) {
    AtomicFile.write(target, out ->
        BitmapEncoder.saveBitmap(charts, 1, cols, out, BitmapEncoder.BitmapFormat.PNG));
  }
}
