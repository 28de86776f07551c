//! The benchmark's output: markdown tables, the JSON record, and the paper's two figures as
//! PNG files (load-balance efficiency against the queue depth, speed-up against the PE count),
//! drawn with `plotters` in an embedded font (DejaVu Sans), so no system font is needed.

use super::{Error, Report, Result, SweepPoint, PAPER_MHZ};
use plotters::prelude::*;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// File names written by [`write`].
pub const JSON_FILE: &str = "bench.json";
/// The markdown report.
pub const MARKDOWN_FILE: &str = "bench.md";
/// Load-balance efficiency against queue depth.
pub const QUEUE_FIGURE: &str = "load_efficiency_vs_queue_depth.png";
/// Speed-up against PE count.
pub const PES_FIGURE: &str = "speedup_vs_pes.png";
/// MAC utilisation (MACs / (PEs x cycles)) against queue depth.
pub const UTILISATION_FIGURE: &str = "utilisation_vs_queue_depth.png";

/// Writes the JSON record, the markdown report and the two figures into `dir` (created if
/// needed); returns the paths written. `command` is the command line shown in the report.
pub fn write(report: &Report, dir: &Path, command: &str) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).map_err(|e| Error::Io(dir.to_path_buf(), e))?;
    let file = |name: &str| dir.join(name);
    let json =
        serde_json::to_string_pretty(report).map_err(|e| Error::Config(format!("JSON: {e}")))?;
    let mut written = Vec::new();
    for (name, text) in [
        (JSON_FILE, json + "\n"),
        (MARKDOWN_FILE, markdown(report, command)),
    ] {
        std::fs::write(file(name), text).map_err(|e| Error::Io(file(name), e))?;
        written.push(file(name));
    }
    queue_figure(report, &file(QUEUE_FIGURE))?;
    written.push(file(QUEUE_FIGURE));
    pes_figure(report, &file(PES_FIGURE))?;
    written.push(file(PES_FIGURE));
    utilisation_figure(report, &file(UTILISATION_FIGURE))?;
    written.push(file(UTILISATION_FIGURE));
    Ok(written)
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "**no**"
    }
}

/// A paper figure, or "-" for a scaled-down layer.
fn paper(l: &super::LayerResult, text: String) -> String {
    if l.spec.scale_down == 1 {
        text
    } else {
        "-".to_string()
    }
}

/// A count with thousands separators.
fn thousands(n: f64) -> String {
    let digits = format!("{:.0}", n.abs());
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0.0 {
        out.insert(0, '-');
    }
    out
}

fn ratio(a: f64, b: f64) -> String {
    match a / b {
        r if !(b > 0.0 && r.is_finite()) => "-".into(),
        r if r < 10.0 => format!("{r:.1}x"),
        r => format!("{r:.0}x"),
    }
}

/// The tables of the markdown report (without the title and the command).
pub fn tables(r: &Report) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "### The layers on the RTL ({} PEs, queue depth {})\n",
        r.num_pes, r.queue_depth
    );
    s.push_str(
        "| Layer | Size (in x out) | Weights | Acts | Batches | Cycles | Paper cycles | Busiest PE entries | \
         Entries / PEs | MACs / PEs | Padding, % of MACs | Load efficiency | Paper ideal / actual | \
         Bit-exact |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for l in &r.layers {
        let run = &l.rtl;
        let _ = writeln!(
            s,
            "| {} | {} x {} | {:.1}% | {:.1}% | {} | {} | {} | {} | {} | {} | {:.1} | {:.3} | {} | {} |",
            l.spec.name,
            l.spec.inputs,
            l.spec.outputs,
            l.weight_density * 100.0,
            100.0 * l.nonzero_inputs as f64 / l.spec.inputs as f64,
            run.batches,
            thousands(run.cycles as f64),
            paper(l, thousands(l.spec.paper_cycles())),
            thousands(run.busiest_pe_entries as f64),
            thousands(run.entries_per_pe),
            thousands(run.macs_per_pe),
            100.0 * run.padding as f64 / run.macs.max(1) as f64,
            run.load_efficiency,
            paper(l, format!("{:.3}", l.spec.paper_ideal_over_actual())),
            yes_no(run.bit_exact),
        );
    }

    let fpga = r.fpga.as_ref();
    let fpga_head = fpga.map_or("FPGA (not known)".to_string(), |f| {
        format!("FPGA, {} PEs at {:.1} MHz (us)", f.num_pes, f.mhz)
    });
    let _ = writeln!(
        s,
        "\n### Time, and speed-ups over this machine's CPU (the paper's Figure 6 style, batch 1)\n"
    );
    let _ = writeln!(
        s,
        "| Layer | RTL at {PAPER_MHZ:.0} MHz (us) | Paper EIE (us) | {fpga_head} | CPU dense f32 (us) | \
         CPU CSR f32 (us) | Fixed-point reference (us) | RTL@800 vs dense | RTL@800 vs CSR | \
         FPGA vs dense | Paper EIE vs its CPU dense |\n|---|---|---|---|---|---|---|---|---|---|---|"
    );
    for l in &r.layers {
        let eie = l.us_at_800mhz;
        let fpga_us = l.fpga_us.map_or("-".into(), |u| format!("{u:.1}"));
        let _ = writeln!(
            s,
            "| {} | {:.1} | {} | {} | {:.0} | {:.0} | {:.0} | {} | {} | {} | {} |",
            l.spec.name,
            eie,
            paper(l, format!("{:.1}", l.spec.paper_eie_us)),
            fpga_us,
            l.cpu.dense_us,
            l.cpu.csr_us,
            l.cpu.fixed_ref_us,
            ratio(l.cpu.dense_us, eie),
            ratio(l.cpu.csr_us, eie),
            l.fpga_us.map_or("-".into(), |u| ratio(l.cpu.dense_us, u)),
            paper(l, ratio(l.spec.paper_cpu_dense_us, l.spec.paper_eie_us)),
        );
    }

    sweep_table(
        &mut s,
        &format!(
            "### Load-balance efficiency against activation-queue depth ({} PEs)",
            r.num_pes
        ),
        "Queue depth",
        &r.queue_sweep,
        |p| p.geometry.queue_depth,
        |run, _| format!("{:.3}", run.load_efficiency),
    );
    sweep_table(
        &mut s,
        &format!(
            "### Cycles against activation-queue depth ({} PEs)",
            r.num_pes
        ),
        "Queue depth",
        &r.queue_sweep,
        |p| p.geometry.queue_depth,
        |run, _| thousands(run.cycles as f64),
    );
    let one_pe = r.pe_sweep.iter().find(|p| p.geometry.num_pes == 1);
    let speedup_note = match one_pe {
        Some(_) => "cycles on 1 PE / cycles on N PEs",
        None => "cycles (no 1-PE run for the speed-up)",
    };
    sweep_table(
        &mut s,
        &format!(
            "### Speed-up against PE count (queue depth {}): {speedup_note}",
            r.queue_depth
        ),
        "PEs",
        &r.pe_sweep,
        |p| p.geometry.num_pes,
        |run, layer| match one_pe.and_then(|p| p.runs.get(layer)) {
            Some(base) => format!("{:.1}", base.cycles as f64 / run.cycles.max(1) as f64),
            None => thousands(run.cycles as f64),
        },
    );
    let batched: Vec<String> = r
        .pe_sweep
        .iter()
        .chain(&r.queue_sweep)
        .flat_map(|p| p.runs.iter())
        .filter(|run| run.batches > 1)
        .map(|run| {
            format!(
                "{} on {} PEs ({} batches)",
                run.layer, run.num_pes, run.batches
            )
        })
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    if !batched.is_empty() {
        let _ = writeln!(
            s,
            "\nColumn batches (the layer's pointers exceed a PE's pointer window, 4 MiB / PEs): {}.",
            batched.join(", ")
        );
    }
    s
}

/// A table with one row per layer and one column per sweep point.
fn sweep_table(
    s: &mut String,
    title: &str,
    what: &str,
    points: &[SweepPoint],
    key: impl Fn(&SweepPoint) -> u32,
    cell: impl Fn(&super::rtl::LayerRun, usize) -> String,
) {
    if points.is_empty() {
        return;
    }
    let _ = writeln!(s, "\n{title}\n");
    let _ = write!(s, "| Layer \\ {what} |");
    for p in points {
        let _ = write!(s, " {} |", key(p));
    }
    let _ = write!(s, "\n|---|");
    for _ in points {
        s.push_str("---|");
    }
    s.push('\n');
    for (i, run) in points[0].runs.iter().enumerate() {
        let _ = write!(s, "| {} |", run.layer);
        for p in points {
            let c = p.runs.get(i).map_or("-".to_string(), |r| cell(r, i));
            let _ = write!(s, " {c} |");
        }
        s.push('\n');
    }
}

/// Goals of the issue per layer, with the reason for each miss read off the figures.
pub fn goals(r: &Report) -> String {
    let mut s = String::from(
        "| Layer | Load efficiency >= paper | Cycles <= paper | Busiest-PE entries / cycles | \
         Entries / PEs vs paper cycles | Why a goal is missed |\n|---|---|---|---|---|---|\n",
    );
    for l in &r.layers {
        let run = &l.rtl;
        let (Some(load_ok), Some(cycles_ok)) = (l.meets_load_goal(), l.meets_cycle_goal()) else {
            let _ = writeln!(
                s,
                "| {} | - | - | {:.3} | {} | scaled down: the paper's figures do not apply |",
                l.spec.name,
                run.busiest_over_cycles(),
                thousands(run.entries_per_pe)
            );
            continue;
        };
        let paper = l.spec.paper_cycles();
        let mut why = Vec::new();
        if !cycles_ok {
            if run.entries_per_pe > paper {
                why.push(format!(
                    "the layer holds {} entries per PE on average (padding {:.1}% of MACs), more \
                     than the paper's {} cycles: one entry per cycle cannot reach it",
                    thousands(run.entries_per_pe),
                    100.0 * run.padding as f64 / run.macs.max(1) as f64,
                    thousands(paper)
                ));
            } else if run.busiest_pe_entries as f64 > paper {
                why.push(format!(
                    "the busiest PE alone holds {} entries (imbalance of the random layer)",
                    thousands(run.busiest_pe_entries as f64)
                ));
            } else {
                why.push(format!(
                    "the RTL loses {:.1}% of the cycles beyond the busiest PE's entries",
                    100.0 * (1.0 - run.busiest_over_cycles())
                ));
            }
        }
        if !load_ok {
            why.push(format!(
                "PEs starve {:.1}% of the cycles",
                100.0 * (1.0 - run.load_efficiency)
            ));
        }
        let _ = writeln!(
            s,
            "| {} | {} ({:.3} vs {:.3}) | {} ({} vs {}) | {:.3} | {} vs {} | {} |",
            l.spec.name,
            yes_no(load_ok),
            run.load_efficiency,
            l.spec.paper_ideal_over_actual(),
            yes_no(cycles_ok),
            thousands(run.cycles as f64),
            thousands(paper),
            run.busiest_over_cycles(),
            thousands(run.entries_per_pe),
            thousands(paper),
            if why.is_empty() {
                "-".to_string()
            } else {
                why.join("; ")
            }
        );
    }
    s
}

/// The whole markdown report.
pub fn markdown(r: &Report, command: &str) -> String {
    let mut s = String::from("# EIE benchmarks\n\n");
    let _ = writeln!(
        s,
        "Made by `{command}`{}.\n",
        if r.quick { " (quick)" } else { "" }
    );
    let _ = writeln!(
        s,
        "Layers generated from seed {} with the paper's shapes and densities, pruned and \
         weight-shared by the host pipeline (4-bit codes), run on the simulated RTL (Verilator) \
         and checked bit for bit against the fixed-point reference. CPU: {} ({} threads), one \
         thread per baseline. Paper figures: Table III/V of Han et al., ISCA 2016 (64 PEs, \
         800 MHz). RTL: embedded sources with CRC-32 {}.\n",
        r.seed, r.machine.cpu, r.machine.threads, r.rtl_crc32
    );
    match &r.fpga {
        Some(f) => {
            let _ = writeln!(
                s,
                "FPGA column: {} PEs at {:.2} MHz, from {}{}.\n",
                f.num_pes,
                f.mhz,
                f.source,
                match f.timing_met {
                    Some(true) => ", timing met",
                    Some(false) => ", Fmax below the flow's target clock",
                    None => "",
                }
            );
        }
        None => s.push_str("FPGA column: no FPGA build known (no report, no --fmax-mhz).\n\n"),
    }
    s.push_str(&tables(r));
    s.push_str("\n### Goals\n\n");
    s.push_str(&goals(r));
    if let Some(a) = &r.axi_check {
        let _ = writeln!(
            s,
            "\nAXI check: {} loaded over the real AXI path on a second simulator ({} PEs, queue \
             {}) in {:.1} s against {:.2} s through the backdoor; outputs, cycles, every PE \
             counter and all {} pointer and sparse-matrix words agree: {}.",
            a.layer,
            a.geometry.num_pes,
            a.geometry.queue_depth,
            a.axi_load_s,
            a.backdoor_load_s,
            thousands(a.words_compared as f64),
            yes_no(a.agree)
        );
    }
    let t = &r.timing;
    let _ = writeln!(
        s,
        "\nRun time: {:.0} s in all: generating and compressing {:.0} s, CPU baselines {:.0} s, \
         encoding {:.0} s, starting the simulators {:.0} s (Verilator builds each geometry once per \
         RTL revision, then caches it), RTL runs {:.0} s.",
        t.total_s, t.generate_s, t.cpu_s, t.encode_s, t.build_s, t.rtl_s
    );
    s.push_str(&format!(
        "\n![load efficiency vs queue depth]({QUEUE_FIGURE})\n![MAC utilisation vs queue depth]({UTILISATION_FIGURE})\n![speed-up vs PEs]({PES_FIGURE})\n"
    ));
    s
}

fn plot_error(path: &Path) -> impl Fn(String) -> Error + '_ {
    move |e| Error::Plot(path.to_path_buf(), e)
}

/// Registers the embedded font once.
fn font() -> Result<(), String> {
    static FONT: std::sync::OnceLock<Result<(), String>> = std::sync::OnceLock::new();
    FONT.get_or_init(|| {
        plotters::style::register_font("sans-serif", FontStyle::Normal, dejavu::sans::regular())
            .map_err(|_| "the embedded DejaVu Sans font does not load".to_string())
    })
    .clone()
}

/// A line per layer over sweep points: `(x, y)` from each point's run of that layer.
fn series(
    points: &[SweepPoint],
    x: impl Fn(&SweepPoint) -> f64,
    y: impl Fn(&SweepPoint, usize) -> Option<f64>,
) -> Vec<(String, Vec<(f64, f64)>)> {
    let Some(first) = points.first() else {
        return Vec::new();
    };
    first
        .runs
        .iter()
        .enumerate()
        .map(|(i, run)| {
            let line = points
                .iter()
                .filter_map(|p| y(p, i).map(|v| (x(p), v)))
                .collect();
            (run.layer.clone(), line)
        })
        .collect()
}

/// A range over `values` (already log2), half a step wider on each side.
fn padded(values: impl Iterator<Item = f64>) -> std::ops::Range<f64> {
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    if lo.is_finite() && hi.is_finite() {
        lo - 0.5..hi + 0.5
    } else {
        -0.5..0.5
    }
}

/// Labels a log2 axis: `2^v` at whole `v`, nothing between.
fn pow2_label(v: &f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{}", v.round().exp2())
    } else {
        String::new()
    }
}

/// Draws one line per layer; x (and y if `y_log`) on log2 axes. With `ideal`, the line y = x.
fn draw_lines(
    path: &Path,
    title: &str,
    x_desc: &str,
    y_desc: &str,
    lines: &[(String, Vec<(f64, f64)>)],
    y_log: bool,
    ideal: bool,
) -> Result<()> {
    let fail = plot_error(path);
    font().map_err(&fail)?;
    let log2 = |v: f64| v.max(f64::MIN_POSITIVE).log2();
    let mut lines: Vec<(String, Vec<(f64, f64)>)> = lines
        .iter()
        .map(|(name, l)| {
            let l = l
                .iter()
                .map(|&(x, y)| (log2(x), if y_log { log2(y) } else { y }))
                .collect();
            (name.clone(), l)
        })
        .collect();
    let xs = padded(lines.iter().flat_map(|(_, l)| l.iter().map(|p| p.0)));
    let ys: Vec<f64> = lines
        .iter()
        .flat_map(|(_, l)| l.iter().map(|p| p.1))
        .collect();
    let yr = if y_log {
        padded(ys.iter().copied().chain(ideal.then_some(xs.end - 0.5)))
    } else {
        let lo = ys.iter().copied().fold(1.0f64, f64::min);
        ((lo - 0.05) * 10.0).floor().max(0.0) / 10.0..1.0
    };
    if ideal {
        let (a, b) = (xs.start + 0.5, xs.end - 0.5);
        lines.insert(0, ("linear".to_string(), vec![(a, 0.0), (b, b - a)]));
    }
    let root = BitMapBackend::new(path, (960, 600)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| fail(e.to_string()))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 24))
        .margin(16)
        .x_label_area_size(52)
        .y_label_area_size(72)
        .build_cartesian_2d(xs.clone(), yr)
        .map_err(|e| fail(e.to_string()))?;
    let y_label = |v: &f64| {
        if y_log {
            pow2_label(v)
        } else {
            format!("{v:.2}")
        }
    };
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc(y_desc)
        .x_labels(((xs.end - xs.start) * 4.0) as usize + 1)
        .y_labels(if y_log { 40 } else { 11 })
        .x_label_formatter(&pow2_label)
        .y_label_formatter(&y_label)
        .axis_desc_style(("sans-serif", 17))
        .label_style(("sans-serif", 14))
        .draw()
        .map_err(|e| fail(e.to_string()))?;
    let legend = if y_log {
        SeriesLabelPosition::UpperLeft
    } else {
        SeriesLabelPosition::LowerRight
    };
    layer_lines(&mut chart, &lines, legend, ideal).map_err(&fail)?;
    root.present().map_err(|e| fail(e.to_string()))?;
    Ok(())
}

/// Draws one line with markers per layer, and the legend; with `reference`, the first line
/// is a thin grey reference line.
fn layer_lines<'a, DB, X, Y>(
    c: &mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
    lines: &[(String, Vec<(f64, f64)>)],
    legend: SeriesLabelPosition,
    reference: bool,
) -> Result<(), String>
where
    DB: DrawingBackend + 'a,
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    let text = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    for (i, (name, line)) in lines.iter().enumerate() {
        if reference && i == 0 {
            let grey = BLACK.mix(0.4);
            c.draw_series(LineSeries::new(line.iter().copied(), grey.stroke_width(1)))
                .map_err(text)?
                .label(name)
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], grey));
            continue;
        }
        let color = Palette99::pick(i).to_rgba();
        c.draw_series(LineSeries::new(line.iter().copied(), color.stroke_width(2)))
            .map_err(text)?
            .label(name)
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], color.stroke_width(2)));
        c.draw_series(line.iter().map(|&p| Circle::new(p, 3, color.filled())))
            .map_err(text)?;
    }
    c.configure_series_labels()
        .position(legend)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK.mix(0.3))
        .label_font(("sans-serif", 15))
        .draw()
        .map_err(text)
}

/// Load-balance efficiency against queue depth, one line per layer.
fn queue_figure(r: &Report, path: &Path) -> Result<()> {
    let lines = series(
        &r.queue_sweep,
        |p| f64::from(p.geometry.queue_depth),
        |p, i| p.runs.get(i).map(|run| run.load_efficiency),
    );
    draw_lines(
        path,
        &format!("Load-balance efficiency vs queue depth ({} PEs)", r.num_pes),
        "activation queue depth",
        "1 - starved cycles / all cycles",
        &lines,
        false,
        false,
    )
}

/// MAC utilisation against queue depth, one line per layer.
fn utilisation_figure(r: &Report, path: &Path) -> Result<()> {
    let lines = series(
        &r.queue_sweep,
        |p| f64::from(p.geometry.queue_depth),
        |p, i| p.runs.get(i).map(|run| run.mac_utilisation),
    );
    draw_lines(
        path,
        &format!("MAC utilisation vs queue depth ({} PEs)", r.num_pes),
        "activation queue depth",
        "MACs / (PEs x cycles)",
        &lines,
        false,
        false,
    )
}

/// Speed-up over one PE against PE count, one line per layer (cycles if there is no 1-PE run).
fn pes_figure(r: &Report, path: &Path) -> Result<()> {
    let base = r.pe_sweep.iter().find(|p| p.geometry.num_pes == 1);
    let lines = series(
        &r.pe_sweep,
        |p| f64::from(p.geometry.num_pes),
        |p, i| {
            let run = p.runs.get(i)?;
            Some(match base {
                Some(b) => b.runs.get(i)?.cycles as f64 / run.cycles.max(1) as f64,
                None => run.cycles as f64,
            })
        },
    );
    let (title, y) = match base {
        Some(_) => (
            format!(
                "Speed-up over 1 PE vs PE count (queue depth {})",
                r.queue_depth
            ),
            "cycles on 1 PE / cycles on N PEs",
        ),
        None => (
            format!("Cycles vs PE count (queue depth {})", r.queue_depth),
            "cycles",
        ),
    };
    draw_lines(path, &title, "PEs", y, &lines, true, base.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_groups_digits() {
        assert_eq!(thousands(9760.0), "9,760");
        assert_eq!(thousands(1_177_522.4), "1,177,522");
        assert_eq!(thousands(12.0), "12");
        assert_eq!(thousands(-1234.0), "-1,234");
    }
}
