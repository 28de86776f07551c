//! The memory backdoor: accesses to the activation, pointer and sparse-matrix windows served
//! by reading and writing the RTL's RAM arrays directly, in zero simulated cycles, instead of
//! over AXI4-Lite. For loading large models quickly in benchmarks; the AXI path stays the
//! reference, and the tests check that both agree on every window.
//!
//! This mirrors how the RTL stores each window (`bitstream/rtl/eie_regs.v` and `eie_pe.v`),
//! reached through `csrc/eie_backdoor.vlt`, which makes every RAM's array public:
//!
//! - activation `j` of file `f`: PE `j % N`, `u_act.mem[f * act_entries + j / N]`, 16 bits,
//!   read back sign-extended;
//! - pointer `p` of PE `k`: `u_ptr_ram.mem[(p % 2) * ptr_entries / 2 + p / 2]`, saturated to
//!   the RAM's width when written;
//! - sparse-matrix word `w` of PE `k`: `u_spmat_ram.mem[w]`, 64 bits, low half at the lower
//!   address.
//!
//! Addresses past a window's capacity are not served here: they go over the bus and get the
//! RTL's own error response. The backdoor does not model the RTL's refusal of memory accesses
//! while a program runs.

use crate::error::SimError;
use crate::model::{Memory, Model};
use eie_memmap::{regs, Geometry};

/// One PE's three memories.
#[derive(Clone, Copy, Debug)]
struct PeMemories {
    act: Memory,
    ptr: Memory,
    spmat: Memory,
}

/// The resolved memories of an accelerator model.
pub(crate) struct Backdoor {
    geometry: Geometry,
    pes: Vec<PeMemories>,
}

/// Where an access lands.
#[derive(Clone, Copy, Debug)]
enum Target {
    Act { pe: u32, index: u32 },
    Ptr { pe: u32, index: u32 },
    Spmat { pe: u32, word: u32, high: bool },
}

impl Backdoor {
    /// Finds every PE's memories in `model`, checking their shapes against `geometry`.
    pub(crate) fn new(model: &mut Model, geometry: &Geometry) -> Result<Backdoor, SimError> {
        let mut find = |pe: u32, instance: &str, depth: u32, width: Option<u32>| {
            let scope = format!("eie_top.g_pe[{pe}].u_pe.{instance}");
            match model.find_memory(&scope, "mem") {
                Some(m) if m.depth == depth && width.is_none_or(|w| m.width == w) => Ok(m),
                found => Err(SimError::Create {
                    what: format!(
                        "backdoor: no memory {scope}.mem of {depth} elements{} ({})",
                        width.map_or(String::new(), |w| format!(" x {w} bits")),
                        match found {
                            Some(m) => format!("found {} x {} bits", m.depth, m.width),
                            None => "not found".to_string(),
                        }
                    ),
                }),
            }
        };
        let pes = (0..geometry.num_pes)
            .map(|pe| {
                Ok(PeMemories {
                    act: find(pe, "u_act", 2 * geometry.act_entries, Some(16))?,
                    ptr: find(pe, "u_ptr_ram", geometry.ptr_entries, None)?,
                    spmat: find(pe, "u_spmat_ram", geometry.spmat_words, Some(64))?,
                })
            })
            .collect::<Result<_, SimError>>()?;
        Ok(Backdoor {
            geometry: *geometry,
            pes,
        })
    }

    fn target(&self, addr: u32) -> Option<Target> {
        let g = &self.geometry;
        let n = g.num_pes;
        let window = |base: u32, span: u32| (base..base + span).contains(&addr);
        if window(regs::ACT0_BASE, regs::ACT_SPAN) || window(regs::ACT1_BASE, regs::ACT_SPAN) {
            let file = u32::from(addr >= regs::ACT1_BASE);
            let j = (addr - regs::act_base(file)) / 4;
            (j < g.max_vector_len()).then_some(Target::Act {
                pe: j % n,
                index: file * g.act_entries + j / n,
            })
        } else if window(regs::PTR_BASE, regs::PTR_SPAN) {
            let i = (addr - regs::PTR_BASE) / 4;
            let (pe, p) = (i / g.ptr_entries, i % g.ptr_entries);
            (pe < n).then_some(Target::Ptr {
                pe,
                index: (p % 2) * (g.ptr_entries / 2) + p / 2,
            })
        } else if window(regs::SPMAT_BASE, regs::SPMAT_SPAN) {
            let i = (addr - regs::SPMAT_BASE) / 8;
            (i / g.spmat_words < n).then_some(Target::Spmat {
                pe: i / g.spmat_words,
                word: i % g.spmat_words,
                high: addr % 8 == 4,
            })
        } else {
            None
        }
    }

    /// Serves a write if `addr` is inside a memory window's capacity; `None` otherwise.
    pub(crate) fn write(&self, model: &mut Model, addr: u32, value: u32) -> Option<()> {
        match self.target(addr)? {
            Target::Act { pe, index } => {
                model.write_memory(self.pes[pe as usize].act, index, u64::from(value & 0xFFFF))
            }
            Target::Ptr { pe, index } => {
                let memory = self.pes[pe as usize].ptr;
                let max = (1u64 << memory.width) - 1;
                model.write_memory(memory, index, u64::from(value).min(max))
            }
            Target::Spmat { pe, word, high } => {
                let memory = self.pes[pe as usize].spmat;
                let old = model.read_memory(memory, word)?;
                let new = if high {
                    old & 0xFFFF_FFFF | u64::from(value) << 32
                } else {
                    old & !0xFFFF_FFFF | u64::from(value)
                };
                model.write_memory(memory, word, new)
            }
        }
        .then_some(())
    }

    /// Serves a read if `addr` is inside a memory window's capacity; `None` otherwise.
    pub(crate) fn read(&self, model: &mut Model, addr: u32) -> Option<u32> {
        Some(match self.target(addr)? {
            Target::Act { pe, index } => {
                let value = model.read_memory(self.pes[pe as usize].act, index)?;
                value as u16 as i16 as i32 as u32
            }
            Target::Ptr { pe, index } => {
                model.read_memory(self.pes[pe as usize].ptr, index)? as u32
            }
            Target::Spmat { pe, word, high } => {
                let value = model.read_memory(self.pes[pe as usize].spmat, word)?;
                (if high { value >> 32 } else { value }) as u32
            }
        })
    }
}
