//! The per-layer report as a text table.

use eie::report::Report;
use std::fmt::Write;

fn bytes(n: u64) -> String {
    let n = n as f64;
    if n >= 1024.0 * 1024.0 {
        format!("{:.2} MiB", n / (1024.0 * 1024.0))
    } else if n >= 1024.0 {
        format!("{:.1} KiB", n / 1024.0)
    } else {
        format!("{n} B")
    }
}

/// The report as a table, one row per layer and a total.
pub fn render(report: &Report) -> String {
    let mut rows: Vec<[String; 11]> = vec![[
        "layer".into(),
        "shape".into(),
        "density".into(),
        "codes".into(),
        "padding".into(),
        "entries/PE min/mean/max".into(),
        "formats".into(),
        "bits/w".into(),
        "stored".into(),
        "ratio".into(),
        "huffman (ratio)".into(),
    ]];
    for l in &report.layers {
        let f = &l.formats;
        rows.push([
            l.name.clone(),
            format!(
                "{}x{}{}{}",
                l.rows,
                l.cols,
                if l.bias { "+b" } else { "" },
                if l.relu { " relu" } else { "" }
            ),
            format!("{:.2}%", l.density * 100.0),
            l.codes_used.to_string(),
            l.padding.to_string(),
            format!(
                "{}/{:.1}/{}",
                l.entries_per_pe.min, l.entries_per_pe.mean, l.entries_per_pe.max
            ),
            format!("Q{}*Q{}>>{}=Q{}", f.in_frac, f.w_frac, f.shift, f.out_frac),
            format!("{:.2}", l.bits_per_weight),
            bytes(l.stored_bytes),
            format!("{:.1}x", l.ratio),
            format!("{} ({:.1}x)", bytes(l.huffman_bytes), l.huffman_ratio),
        ]);
    }
    rows.push([
        "total".into(),
        format!("{}->{}", report.input_len, report.output_len),
        String::new(),
        String::new(),
        report
            .layers
            .iter()
            .map(|l| l.padding)
            .sum::<u64>()
            .to_string(),
        String::new(),
        String::new(),
        String::new(),
        bytes(report.stored_bytes),
        format!("{:.1}x", report.ratio),
        format!(
            "{} ({:.1}x)",
            bytes(report.huffman_bytes),
            report.huffman_ratio
        ),
    ]);
    let widths: Vec<usize> = (0..11)
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for r in &rows {
        let line: Vec<String> = r
            .iter()
            .zip(&widths)
            .map(|(cell, &w)| format!("{cell:<w$}"))
            .collect();
        let _ = writeln!(out, "{}", line.join("  ").trim_end());
    }
    let _ = writeln!(
        out,
        "dense f32: {}; {} PEs; per PE: {} sparse-matrix words, {} column pointers, {} activations",
        bytes(report.dense_bytes),
        report.num_pes,
        report.needs.spmat_words,
        report.needs.ptr_entries,
        report.needs.act_entries
    );
    out
}
