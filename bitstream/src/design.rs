//! What gets verilated: a top module, its sources and parameters.

use eie_memmap::Geometry;
use std::borrow::Cow;

/// One Verilog file of a design.
#[derive(Clone, Debug)]
pub struct Source {
    /// Path relative to the design's source folder (also what `` `include `` sees).
    pub name: String,
    /// The file's contents.
    pub contents: Cow<'static, [u8]>,
    /// Passed to Verilator as a source (in list order); `false` for included headers.
    pub compile: bool,
}

/// A design to simulate: any Verilog top module with the EIE core's ports (`clk_i`, `rst_ni`,
/// the `s_axil_*` AXI4-Lite slave, `irq_o`).
#[derive(Clone, Debug)]
pub struct Design {
    /// Short name for the cache folder and progress messages.
    pub label: String,
    /// The top module.
    pub top: String,
    /// Sources in compile order, and headers.
    pub sources: Vec<Source>,
    /// Top-level parameter overrides (`-G<name>=<value>`).
    pub parameters: Vec<(String, u32)>,
}

include!(concat!(env!("OUT_DIR"), "/rtl_sources.rs"));

/// Verilator configuration that keeps the RAM arrays public for the backdoor.
const BACKDOOR_CONFIG: &[u8] = include_bytes!("../csrc/eie_backdoor.vlt");

impl Design {
    /// The EIE accelerator (`bitstream/rtl/`, embedded at compile time) built for `geometry`.
    pub fn eie(geometry: &Geometry) -> crate::Result<Design> {
        geometry.check().map_err(crate::SimError::BadGeometry)?;
        if RTL_SOURCES.is_empty() {
            return Err(crate::SimError::RtlMissing);
        }
        let config = ("eie_backdoor.vlt", BACKDOOR_CONFIG);
        let files = std::iter::once((&config, true))
            .chain(RTL_SOURCES.iter().map(|f| (f, true)))
            .chain(RTL_HEADERS.iter().map(|f| (f, false)));
        let sources = files
            .map(|(&(name, contents), compile)| Source {
                name: name.to_string(),
                contents: Cow::Borrowed(contents),
                compile,
            })
            .collect();
        let g = geometry;
        Ok(Design {
            label: format!(
                "eie-pes{}-q{}-s{}-p{}-a{}-l{}",
                g.num_pes, g.queue_depth, g.spmat_words, g.ptr_entries, g.act_entries, g.max_layers
            ),
            top: "eie_top".to_string(),
            sources,
            parameters: [
                ("NumPes", g.num_pes),
                ("QueueDepth", g.queue_depth),
                ("SpmatWords", g.spmat_words),
                ("PtrEntries", g.ptr_entries),
                ("ActEntries", g.act_entries),
                ("MaxLayers", g.max_layers),
            ]
            .into_iter()
            .map(|(n, v)| (n.to_string(), v))
            .collect(),
        })
    }

    /// True when this crate was compiled with the RTL present.
    pub fn eie_rtl_embedded() -> bool {
        !RTL_SOURCES.is_empty()
    }
}
