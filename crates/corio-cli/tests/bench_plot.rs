//! `corio bench`'s results beyond one report: the histogram in the JSON report (HdrHistogram's
//! V2 compressed base64 encoding, read here with the hdrhistogram library itself), reports
//! merged exactly, the latency spectrum drawn as SVG, and `--start-at`. The runs load small
//! local servers; assertions are on counts and on figures computed from the runs' own
//! histograms, never on speed.

mod terminal;

use std::path::{Path, PathBuf};

use base64::Engine as _;
use hdrhistogram::serialization::Deserializer;
use hdrhistogram::Histogram;
use serde_json::Value;
use terminal::{piped, raw_server};

/// A server answering every request with `status`.
fn server(status: u16) -> String {
    let addr = raw_server(move |_, s| {
        let response = format!("HTTP/1.1 {status} X\r\ncontent-length: 2\r\n\r\nok");
        std::io::Write::write_all(s, response.as_bytes()).is_ok()
    });
    format!("http://{addr}/")
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("corio-bench-plot-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// Runs `corio bench ARGS... --json`, saves the report at `save` (if given) and returns it.
fn bench(args: &[&str], save: Option<&Path>) -> Value {
    let mut all = vec!["bench"];
    all.extend_from_slice(args);
    all.push("--json");
    let f = piped(&all);
    assert_eq!(f.code, Some(0), "{f:?}");
    if let Some(path) = save {
        std::fs::write(path, &f.stdout).unwrap();
    }
    serde_json::from_str(&f.stdout).unwrap()
}

fn n(report: &Value, pointer: &str) -> u64 {
    report
        .pointer(pointer)
        .and_then(Value::as_u64)
        .unwrap_or_else(|| panic!("{pointer} missing"))
}

/// The report's histogram, decoded by the hdrhistogram library (standard interchange format).
fn histogram(report: &Value) -> Histogram<u64> {
    let text = report["histogram"].as_str().expect("a histogram");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text)
        .unwrap();
    // V2 compressed: HdrHistogram's cookie 0x1c849304 with the word size bits (0x10).
    assert_eq!(bytes[..4], 0x1c84_9314u32.to_be_bytes());
    Deserializer::new()
        .deserialize(&mut bytes.as_slice())
        .unwrap()
}

/// The texts of every `<text>` element of an SVG document.
fn texts(doc: &roxmltree::Document) -> Vec<String> {
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| n.text().unwrap_or("").trim().to_owned())
        .collect()
}

/// The series drawn: the number of points of every polyline in colour (black ones are the
/// axes' ticks), with its colour.
fn polylines(doc: &roxmltree::Document) -> Vec<(String, usize)> {
    doc.descendants()
        .filter(|n| n.has_tag_name("polyline") && n.attribute("stroke") != Some("#000000"))
        .map(|n| {
            let stroke = n.attribute("stroke").unwrap_or("").to_owned();
            let points = n
                .attribute("points")
                .unwrap_or("")
                .split_whitespace()
                .count();
            (stroke, points)
        })
        .collect()
}

#[test]
fn the_report_carries_the_whole_histogram() {
    let r = bench(&[&server(200), "-n", "400", "-c", "4"], None);
    let h = histogram(&r);
    assert_eq!(h.len(), 400);
    assert_eq!(h.len(), n(&r, "/responses"));
    assert_eq!(h.value_at_quantile(0.5), n(&r, "/latency_us/p50"));
    assert_eq!(h.value_at_quantile(0.99), n(&r, "/latency_us/p99"));
    assert_eq!(h.max(), n(&r, "/latency_us/max"));
    assert_eq!(r["protocol"], "HTTP/1.1");
    assert_eq!(n(&r, "/runs"), 1);
    assert!(r["start_unix_s"].as_f64().unwrap() > 1.6e9, "{r}");
}

#[test]
fn merging_reports_is_exact() {
    let (a_path, b_path) = (temp("merge-a.json"), temp("merge-b.json"));
    let a = bench(&[&server(200), "-n", "300", "-c", "3"], Some(&a_path));
    let b = bench(
        &[&server(404), "-n", "500", "-c", "2", "--pipeline", "4"],
        Some(&b_path),
    );
    let f = piped(&[
        "bench",
        "merge",
        a_path.to_str().unwrap(),
        b_path.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(f.code, Some(0), "{f:?}");
    let m: Value = serde_json::from_str(&f.stdout).unwrap();
    assert_eq!(n(&m, "/responses"), 800);
    assert_eq!(n(&m, "/sent"), n(&a, "/sent") + n(&b, "/sent"));
    assert_eq!(n(&m, "/statuses/200"), 300);
    assert_eq!(n(&m, "/statuses/404"), 500);
    assert_eq!(n(&m, "/errors_total"), 0);
    assert_eq!(n(&m, "/bytes"), n(&a, "/bytes") + n(&b, "/bytes"));
    assert_eq!(n(&m, "/connections"), 5);
    assert_eq!(n(&m, "/pipeline"), 4);
    assert_eq!(n(&m, "/runs"), 2);

    // One histogram fed every sample of both runs.
    let mut both = Histogram::<u64>::new_with_bounds(1, 3_600_000_000, 3).unwrap();
    for h in [histogram(&a), histogram(&b)] {
        for v in h.iter_recorded() {
            both.record_n(v.value_iterated_to(), v.count_at_value())
                .unwrap();
        }
    }
    assert_eq!(histogram(&m), both);
    for (q, key) in [(0.5, "p50"), (0.9, "p90"), (0.99, "p99"), (0.999, "p99_9")] {
        assert_eq!(
            n(&m, &format!("/latency_us/{key}")),
            both.value_at_quantile(q)
        );
    }
    assert_eq!(n(&m, "/latency_us/max"), both.max());
    // (JSON's decimal form of a float reads back to within a rounding of it.)
    let mean = m["latency_us"]["mean"].as_f64().unwrap();
    assert!((mean - both.mean()).abs() <= 1e-9 * both.mean(), "{mean}");

    // The text form says what it merged.
    let f = piped(&[
        "bench",
        "merge",
        a_path.to_str().unwrap(),
        b_path.to_str().unwrap(),
    ]);
    assert!(f.stdout.contains("(2 runs merged)"), "{f:?}");
    assert!(f.stdout.contains("responses  800 in"), "{f:?}");
    assert!(f.stdout.contains("200: 300  404: 500"), "{f:?}");
}

#[test]
fn merge_refuses_what_is_not_a_report() {
    let good = temp("refuse-good.json");
    bench(&[&server(200), "-n", "20", "-c", "1"], Some(&good));
    let not_json = temp("refuse-not.json");
    std::fs::write(&not_json, "hello").unwrap();
    let no_histogram = temp("refuse-nohist.json");
    std::fs::write(&no_histogram, r#"{"url":"http://x/","responses":1}"#).unwrap();
    let svg = temp("refuse.svg");
    for bad in [&not_json, &no_histogram, &temp("refuse-missing.json")] {
        let reports = [good.to_str().unwrap(), bad.to_str().unwrap()];
        let merge: Vec<&str> = ["bench", "merge"].iter().chain(&reports).copied().collect();
        let mut plot: Vec<&str> = ["bench", "plot"].iter().chain(&reports).copied().collect();
        plot.extend(["-o", svg.to_str().unwrap()]);
        for args in [merge, plot] {
            let f = piped(&args);
            assert_eq!(f.code, Some(1), "{f:?}");
            assert!(f.stdout.is_empty(), "{f:?}");
            assert_eq!(f.stderr.lines().count(), 1, "{f:?}");
            assert!(f.stderr.contains(bad.to_str().unwrap()), "{f:?}");
        }
    }
    assert!(!svg.exists());
}

#[test]
fn bench_plot_draws_the_spectrum_as_svg() {
    let svg_path = temp("run.svg");
    let url = server(200);
    bench(
        &[
            &url,
            "-n",
            "2000",
            "-c",
            "4",
            "--plot",
            svg_path.to_str().unwrap(),
        ],
        None,
    );
    let svg = std::fs::read_to_string(&svg_path).unwrap();
    let doc = roxmltree::Document::parse(&svg).expect("well-formed XML");
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    let texts = texts(&doc);
    // Axes: names, and percentile ticks up to 99.99 %: 2000 responses need four decades
    // (1 − 1/2000 lies between 99.9 % and 99.99 %).
    for want in [
        "Percentile",
        "Latency (ms)",
        "0%",
        "90%",
        "99%",
        "99.9%",
        "99.99%",
    ] {
        assert!(texts.iter().any(|t| t == want), "{want:?} in {texts:?}");
    }
    // Title and legend name the target, connections, rate, protocol and duration.
    let title = &texts[0];
    assert!(title.starts_with("Latency by percentile: "), "{title}");
    for want in [
        url.as_str(),
        "4 connections",
        "closed loop",
        "HTTP/1.1",
        "s",
    ] {
        assert!(title.contains(want), "{want:?} in {title}");
    }
    let label = title.trim_start_matches("Latency by percentile: ");
    assert!(
        texts.iter().any(|t| t == label),
        "legend {label:?} in {texts:?}"
    );
    // One series: its line (many points) and its legend mark (two points).
    let lines = polylines(&doc);
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(lines[0].0, lines[1].0);
    assert!(lines[0].1 > 20 && lines[1].1 == 2, "{lines:?}");
}

#[test]
fn bench_plot_overlays_earlier_runs() {
    let (a_path, b_path) = (temp("overlay-a.json"), temp("overlay-b.json"));
    bench(&[&server(200), "-n", "300", "-c", "2"], Some(&a_path));
    bench(
        &[&server(200), "-d", "1s", "-c", "3", "--rate", "300"],
        Some(&b_path),
    );
    let svg_path = temp("overlay.svg");
    let f = piped(&[
        "bench",
        "plot",
        a_path.to_str().unwrap(),
        b_path.to_str().unwrap(),
        "-o",
        svg_path.to_str().unwrap(),
    ]);
    assert_eq!(f.code, Some(0), "{f:?}");
    assert_eq!(f.stdout, "", "{f:?}");
    let svg = std::fs::read_to_string(&svg_path).unwrap();
    let doc = roxmltree::Document::parse(&svg).expect("well-formed XML");
    let texts = texts(&doc);
    assert_eq!(texts[0], "Latency by percentile: 2 runs");
    let legend: Vec<&String> = texts.iter().filter(|t| t.starts_with("http://")).collect();
    assert_eq!(legend.len(), 2, "{texts:?}");
    assert!(
        legend[0].contains("2 connections, closed loop, HTTP/1.1"),
        "{legend:?}"
    );
    assert!(
        legend[1].contains("3 connections, 300 req/s, HTTP/1.1"),
        "{legend:?}"
    );
    // Two series in two colours: the lines (many points), then their legend marks.
    let lines = polylines(&doc);
    assert_eq!(lines.len(), 4, "{lines:?}");
    assert_ne!(lines[0].0, lines[1].0, "{lines:?}");
    assert_eq!((&lines[2].0, &lines[3].0), (&lines[0].0, &lines[1].0));
    assert!(lines[0].1 > 20 && lines[1].1 > 20, "{lines:?}");
    assert!(lines[2].1 == 2 && lines[3].1 == 2, "{lines:?}");
}

#[test]
fn start_at_waits_for_an_absolute_time() {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    // Far enough ahead that a slow start of the process does not put it in the past.
    let at = now + 3.0;
    let r = bench(
        &[
            &server(200),
            "-n",
            "20",
            "-c",
            "1",
            "--start-at",
            &format!("{at:.3}"),
        ],
        None,
    );
    assert_eq!(n(&r, "/responses"), 20);
    // The run started no earlier than asked (the report's start is the wall clock).
    assert!(r["start_unix_s"].as_f64().unwrap() >= at - 0.001, "{r}");
}
