//! Loading a built simulator library and calling its C interface
//! (`bitstream/csrc/eie_sim_shim.cpp`).

use crate::error::{Result, SimError};
use std::collections::HashMap;
use std::ffi::{c_char, c_int, c_void, CString};
use std::path::{Path, PathBuf};
use std::ptr::NonNull;
use std::sync::Mutex;

/// Version of the shim's interface this crate speaks (`EIE_SIM_ABI_VERSION` in the shim).
pub(crate) const ABI_VERSION: u32 = 2;

/// Inputs of the model, as `EieSimPinsIn` in the shim.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct PinsIn {
    pub awaddr: u32,
    pub wdata: u32,
    pub araddr: u32,
    pub awvalid: u8,
    pub wvalid: u8,
    pub wstrb: u8,
    pub bready: u8,
    pub arvalid: u8,
    pub rready: u8,
    pub rst_n: u8,
    pub reserved: u8,
}

/// Outputs of the model, as `EieSimPinsOut` in the shim.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct PinsOut {
    pub rdata: u32,
    pub awready: u8,
    pub wready: u8,
    pub bvalid: u8,
    pub bresp: u8,
    pub arready: u8,
    pub rvalid: u8,
    pub rresp: u8,
    pub irq: u8,
}

type AbiVersionFn = unsafe extern "C" fn() -> u32;
type HasTraceFn = unsafe extern "C" fn() -> c_int;
type NewFn = unsafe extern "C" fn(*const c_char) -> *mut c_void;
type FreeFn = unsafe extern "C" fn(*mut c_void);
type StepFn = unsafe extern "C" fn(*mut c_void, *const PinsIn, *mut PinsOut, u64) -> c_int;
type FlushFn = unsafe extern "C" fn(*mut c_void);
type MemFindFn =
    unsafe extern "C" fn(*mut c_void, *const c_char, *const c_char, *mut u32, *mut u32) -> i32;
type MemWriteFn = unsafe extern "C" fn(*mut c_void, i32, u32, u64) -> c_int;
type MemReadFn = unsafe extern "C" fn(*mut c_void, i32, u32, *mut u64) -> c_int;

/// The shim's functions in one loaded library.
#[derive(Clone, Copy)]
struct Api {
    has_trace: HasTraceFn,
    new: NewFn,
    free: FreeFn,
    step: StepFn,
    flush: FlushFn,
    mem_find: MemFindFn,
    mem_write: MemWriteFn,
    mem_read: MemReadFn,
}

/// Libraries loaded so far. They are never unloaded: the Verilator runtime keeps
/// thread-local state that must outlive every thread that touched a model.
static LIBRARIES: Mutex<Vec<(PathBuf, Api)>> = Mutex::new(Vec::new());

fn api(path: &Path) -> Result<Api> {
    let mut loaded = LIBRARIES.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, api)) = loaded.iter().find(|(p, _)| p == path) {
        return Ok(*api);
    }
    let load = |source| SimError::Load {
        path: path.to_path_buf(),
        source,
    };
    // SAFETY: the library is one this crate built from the shim and the Verilator runtime;
    // its initialisers only set up the runtime's own state.
    let library = unsafe { libloading::Library::new(path) }.map_err(load)?;
    let library: &'static libloading::Library = Box::leak(Box::new(library));
    // SAFETY (each `get`): the types are the shim's declarations of these functions, and the
    // library is never unloaded, so the pointers stay valid.
    let version = unsafe {
        *library
            .get::<AbiVersionFn>(b"eie_sim_abi_version\0")
            .map_err(load)?
    };
    // SAFETY: a function without arguments that returns a constant.
    let found = unsafe { version() };
    if found != ABI_VERSION {
        return Err(SimError::Abi {
            path: path.to_path_buf(),
            found,
        });
    }
    let api = unsafe {
        Api {
            has_trace: *library.get(b"eie_sim_has_trace\0").map_err(load)?,
            new: *library.get(b"eie_sim_new\0").map_err(load)?,
            free: *library.get(b"eie_sim_free\0").map_err(load)?,
            step: *library.get(b"eie_sim_step\0").map_err(load)?,
            flush: *library.get(b"eie_sim_flush\0").map_err(load)?,
            mem_find: *library.get(b"eie_sim_mem_find\0").map_err(load)?,
            mem_write: *library.get(b"eie_sim_mem_write\0").map_err(load)?,
            mem_read: *library.get(b"eie_sim_mem_read\0").map_err(load)?,
        }
    };
    loaded.push((path.to_path_buf(), api));
    Ok(api)
}

/// One instance of a Verilated model.
pub(crate) struct Model {
    api: Api,
    handle: NonNull<c_void>,
}

// SAFETY: a model is a plain C++ object with its own VerilatedContext; nothing in it is tied to
// the thread that created it, and `Model` is only used through `&mut` (one thread at a time).
unsafe impl Send for Model {}

impl Model {
    /// A new instance from the library at `path`, tracing to `trace` if given.
    pub(crate) fn new(path: &Path, trace: Option<&Path>) -> Result<Model> {
        let api = api(path)?;
        let trace = match trace {
            Some(t) => {
                // SAFETY: takes no arguments, returns a constant.
                if unsafe { (api.has_trace)() } == 0 {
                    return Err(SimError::Create {
                        what: format!("{} was built without tracing", path.display()),
                    });
                }
                let c = CString::new(t.as_os_str().as_encoded_bytes()).map_err(|_| {
                    SimError::Create {
                        what: format!("trace path {} contains a NUL byte", t.display()),
                    }
                })?;
                Some(c)
            }
            None => None,
        };
        let trace_ptr = trace.as_ref().map_or(std::ptr::null(), |c| c.as_ptr());
        // SAFETY: `trace_ptr` is null or a NUL-terminated string that outlives the call; the
        // library was built with tracing whenever it is not null.
        let handle = unsafe { (api.new)(trace_ptr) };
        let handle = NonNull::new(handle).ok_or_else(|| SimError::Create {
            what: match trace {
                Some(_) => "cannot open the trace file".to_string(),
                None => "the model could not be constructed".to_string(),
            },
        })?;
        Ok(Model { api, handle })
    }

    /// Runs `cycles` cycles with inputs `pins`; returns the outputs sampled before the last
    /// rising edge, and whether the model has stopped ($finish, $stop, $fatal).
    pub(crate) fn step(&mut self, pins: &PinsIn, cycles: u64) -> (PinsOut, bool) {
        let mut out = PinsOut::default();
        // SAFETY: `handle` is a live model of this library, the pin structs match the shim's
        // layouts (ABI version checked) and are valid for the call.
        let stopped = unsafe { (self.api.step)(self.handle.as_ptr(), pins, &mut out, cycles) };
        (out, stopped != 0)
    }

    /// Writes buffered trace data to the file.
    pub(crate) fn flush(&mut self) {
        // SAFETY: `handle` is a live model of this library.
        unsafe { (self.api.flush)(self.handle.as_ptr()) }
    }
}

/// A public memory of a model, found by [`Model::find_memory`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct Memory {
    id: i32,
    /// Bits per element.
    pub width: u32,
    /// Elements.
    pub depth: u32,
}

impl Model {
    /// The public array `var` of instance `scope` (hierarchical, below the top).
    pub(crate) fn find_memory(&mut self, scope: &str, var: &str) -> Option<Memory> {
        let scope = CString::new(scope).ok()?;
        let var = CString::new(var).ok()?;
        let (mut width, mut depth) = (0u32, 0u32);
        // SAFETY: `handle` is a live model; the strings are NUL-terminated and outlive the
        // call; the out-pointers are valid.
        let id = unsafe {
            (self.api.mem_find)(
                self.handle.as_ptr(),
                scope.as_ptr(),
                var.as_ptr(),
                &mut width,
                &mut depth,
            )
        };
        (id >= 0).then_some(Memory { id, width, depth })
    }

    /// Writes element `index` of `memory` (the shim checks the index).
    pub(crate) fn write_memory(&mut self, memory: Memory, index: u32, value: u64) -> bool {
        // SAFETY: `handle` is a live model and `memory.id` one of its ids.
        unsafe { (self.api.mem_write)(self.handle.as_ptr(), memory.id, index, value) == 0 }
    }

    /// Reads element `index` of `memory` (the shim checks the index).
    pub(crate) fn read_memory(&mut self, memory: Memory, index: u32) -> Option<u64> {
        let mut value = 0u64;
        // SAFETY: `handle` is a live model, `memory.id` one of its ids, `value` valid.
        let ok =
            unsafe { (self.api.mem_read)(self.handle.as_ptr(), memory.id, index, &mut value) == 0 };
        ok.then_some(value)
    }
}

impl Drop for Model {
    fn drop(&mut self) {
        // SAFETY: `handle` is a live model of this library, freed exactly once, here.
        unsafe { (self.api.free)(self.handle.as_ptr()) }
    }
}

/// Counts the trace files requested through `EIE_TRACE`, so that each simulator of a process
/// writes its own file.
static TRACE_COUNT: Mutex<Option<HashMap<PathBuf, u32>>> = Mutex::new(None);

/// The trace file for a simulator: `explicit`, else the one `EIE_TRACE` names (the first
/// simulator writes `<name>.vcd`, the next `<name>-1.vcd`, and so on).
pub(crate) fn trace_path(explicit: Option<&Path>) -> Option<PathBuf> {
    if let Some(p) = explicit {
        return Some(p.to_path_buf());
    }
    let base = PathBuf::from(std::env::var_os("EIE_TRACE").filter(|v| !v.is_empty())?);
    let mut counts = TRACE_COUNT.lock().unwrap_or_else(|e| e.into_inner());
    let n = counts
        .get_or_insert_with(HashMap::new)
        .entry(base.clone())
        .or_insert(0);
    let path = if *n == 0 {
        base.clone()
    } else {
        let stem = base.file_stem().unwrap_or_default().to_string_lossy();
        let name = match base.extension() {
            Some(ext) => format!("{stem}-{n}.{}", ext.to_string_lossy()),
            None => format!("{stem}-{n}"),
        };
        base.with_file_name(name)
    };
    *n += 1;
    Some(path)
}
