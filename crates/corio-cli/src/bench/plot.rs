//! The latency percentile spectrum as an SVG picture: `corio bench --plot` and
//! `corio bench plot`.
//!
//! The picture is the one HdrHistogram's plotter draws: the x axis is the percentile on a
//! log scale of 1/(1−p), so that 90 %, 99 %, 99.9 %, 99.99 %... are evenly spaced and the tail
//! gets the room it deserves; the y axis is the latency, linear, in milliseconds. Each run is
//! one line, from its histogram's quantile iteration (HdrHistogram's
//! `outputPercentileDistribution` steps, [`TICKS_PER_HALF_DISTANCE`] per halving of the
//! remaining distance to 100 %).
//!
//! Invariants: the title and the legend name each run's target, connections, rate, protocol
//! and duration ([`Info::label`]); the x axis reaches the percentile that the largest run can
//! resolve (1 − 1/count) and shows 100 % at its right end; the SVG backend writes text as
//! `<text>` elements with a generic font family, so nothing needs fonts or system libraries.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use hdrhistogram::Histogram;
use plotters::prelude::*;

use super::merge;
use super::report::Info;

/// Quantile steps per halving of the distance to 100 %: HdrHistogram's default (5).
pub const TICKS_PER_HALF_DISTANCE: u32 = 5;
/// The picture's size in pixels: wide enough for a legend line naming a long URL.
const SIZE: (u32, u32) = (1200, 700);
/// Fewest decades on the x axis: 99 %, so that a short run still shows its tail.
const MIN_DECADES: u32 = 2;
/// Most decades on the x axis: 99.99999 %, beyond what any run here records.
const MAX_DECADES: u32 = 7;
/// The title's font size when it fits.
const TITLE_SIZE: f64 = 26.0;
/// Height of one legend row, as a share of the y axis (a 26 px row on the 560 px plot).
const LEGEND_ROW: f64 = 0.05;
/// The lines' colours, in run order (then again): distinct on white and for most colour
/// vision deficiencies (Okabe–Ito's, with grey for black, which the axes use).
const COLOURS: [RGBColor; 7] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(100, 100, 100),
];

/// Arguments of `corio bench plot`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Reports written by `corio bench --json` (or `corio bench merge --json`), one line each.
    #[arg(required = true, value_name = "REPORT.json")]
    pub reports: Vec<PathBuf>,
    /// The SVG file to write.
    #[arg(short = 'o', long = "output", value_name = "FILE.svg")]
    pub output: PathBuf,
}

/// Runs `corio bench plot`.
pub fn run(args: Args) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let runs = args
        .reports
        .iter()
        .map(|path| merge::read(path))
        .collect::<Result<Vec<_>, _>>()?;
    let series: Vec<(&Info, &Histogram<u64>)> = runs
        .iter()
        .map(|run| (&run.info, run.stats.histogram()))
        .collect();
    write(&args.output, &series)?;
    Ok(ExitCode::SUCCESS)
}

/// Draws `runs` into the SVG file at `path`.
pub fn write(path: &Path, runs: &[(&Info, &Histogram<u64>)]) -> Result<(), String> {
    let svg = svg(runs)?;
    std::fs::write(path, svg).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// The picture of `runs` as SVG text.
pub fn svg(runs: &[(&Info, &Histogram<u64>)]) -> Result<String, String> {
    if let Some((info, _)) = runs.iter().find(|(_, h)| h.is_empty()) {
        return Err(format!(
            "nothing to plot for {}: no responses",
            info.label()
        ));
    }
    let largest = runs.iter().map(|(_, h)| h.len()).max().unwrap_or(0);
    let decades = (largest.max(1) as f64)
        .log10()
        .ceil()
        .clamp(f64::from(MIN_DECADES), f64::from(MAX_DECADES));
    // Headroom above the highest line for the legend, one row per run, so that the legend
    // (upper left) does not hide the lines' tails (upper right).
    let headroom = 1.1 + LEGEND_ROW * runs.len() as f64;
    let top_ms = runs
        .iter()
        .map(|(_, h)| h.max() as f64 / 1e3)
        .fold(0.0, f64::max)
        * headroom;
    let title = match runs {
        [(info, _)] => format!("Latency by percentile: {}", info.label()),
        [(first, _), rest @ ..] if rest.iter().all(|(info, _)| info.url == first.url) => {
            format!("Latency by percentile: {}, {} runs", first.url, runs.len())
        }
        _ => format!("Latency by percentile: {} runs", runs.len()),
    };
    let mut out = String::new();
    draw(&mut out, &title, runs, decades, top_ms.max(0.001))
        .map_err(|e| format!("cannot draw the plot: {e}"))?;
    Ok(out)
}

fn draw(
    out: &mut String,
    title: &str,
    runs: &[(&Info, &Histogram<u64>)],
    decades: f64,
    top_ms: f64,
) -> Result<(), Box<dyn std::error::Error>> {
    let root = SVGBackend::with_string(out, SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", title_size(title)))
        .margin(20)
        .margin_right(60)
        .x_label_area_size(60)
        .y_label_area_size(90)
        .build_cartesian_2d(0.0..decades, 0.0..top_ms)?;
    chart
        .configure_mesh()
        .x_desc("Percentile")
        .y_desc("Latency (ms)")
        // One label per decade (the axis is `decades` long, so whole steps fit the count).
        .x_labels(decades as usize + 1)
        .x_label_formatter(&|x| percentile(*x))
        .y_label_formatter(&|y| format!("{y}"))
        .label_style(("sans-serif", 18))
        .axis_desc_style(("sans-serif", 20))
        .bold_line_style(RGBColor(225, 225, 225))
        .max_light_lines(0)
        .draw()?;
    for (i, (info, histogram)) in runs.iter().enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        chart
            .draw_series(LineSeries::new(
                spectrum(histogram, decades),
                colour.stroke_width(2),
            ))?
            .label(info.label())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2))
            });
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .label_font(("sans-serif", 18))
        .draw()?;
    root.present()?;
    Ok(())
}

/// The title's font size: [`TITLE_SIZE`], smaller for a title too long to fit the width (a
/// sans-serif character is about half an em wide).
fn title_size(title: &str) -> f64 {
    let width = f64::from(SIZE.0 - 40);
    TITLE_SIZE.min(width / (0.5 * title.chars().count() as f64))
}

/// The run's (x, latency in ms) points, x = log10(1/(1−p)), cut at `decades` (where the
/// maximum, p = 1, is drawn).
pub fn spectrum(histogram: &Histogram<u64>, decades: f64) -> Vec<(f64, f64)> {
    histogram
        .iter_quantiles(TICKS_PER_HALF_DISTANCE)
        .map(|step| {
            let p = step.quantile_iterated_to();
            let x = if p < 1.0 {
                (1.0 / (1.0 - p)).log10().min(decades)
            } else {
                decades
            };
            (x, step.value_iterated_to() as f64 / 1e3)
        })
        .collect()
}

/// The label of x = `decades`: `0%`, `90%`, `99%`, `99.9%`...
fn percentile(decades: f64) -> String {
    let d = decades.round() as i32;
    let digits = (d - 2).max(0) as usize;
    format!("{:.digits$}%", 100.0 * (1.0 - 10f64.powi(-d)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_labels() {
        let labels: Vec<String> = (0..=5).map(|d| percentile(f64::from(d))).collect();
        assert_eq!(labels, ["0%", "90%", "99%", "99.9%", "99.99%", "99.999%"]);
    }

    #[test]
    fn the_spectrum_climbs_to_the_maximum() {
        let mut h = Histogram::<u64>::new_with_bounds(1, 3_600_000_000, 3).unwrap();
        for us in 1..=1000 {
            h.record(us * 10).unwrap();
        }
        let points = spectrum(&h, 3.0);
        assert_eq!(points.first().unwrap().0, 0.0);
        // The maximum (10 ms, as the top of its histogram bucket) at the axis' end.
        let top = h.highest_equivalent(10_000) as f64 / 1e3;
        assert_eq!(*points.last().unwrap(), (3.0, top));
        assert!(points
            .windows(2)
            .all(|w| w[0].0 <= w[1].0 && w[0].1 <= w[1].1));
        // The median, at x = log10(2), is 5 ms.
        let median = points.iter().find(|p| p.0 >= 2f64.log10() - 1e-9).unwrap();
        assert!((median.1 - 5.0).abs() < 0.01, "{median:?}");
    }
}
