//! The driver's error type.

use eie_memmap::geometry::BadGeometry;
use eie_memmap::image::{ImageError, Mismatch};
use eie_memmap::regs::ErrorCode;

/// What went wrong, with the bus's own error `E` kept apart from what the driver found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Error<E> {
    /// A bus access failed.
    Bus(E),
    /// The image is malformed, truncated or fails its integrity check.
    Image(ImageError),
    /// The image was encoded for another build, or needs more than this one has.
    Geometry(Mismatch),
    /// The hardware does not identify as an EIE this driver knows.
    BadIdentity {
        /// What `ID` reads.
        id: u32,
        /// What `VERSION` reads.
        version: u32,
    },
    /// The hardware reports a geometry (or word widths) the register map cannot describe.
    UnsupportedGeometry(BadGeometry),
    /// No model is loaded, or the last load failed.
    NoModel,
    /// The accelerator is running a program.
    Busy,
    /// A streaming load was fed after one of its pieces failed.
    LoadFailed,
    /// The input vector's length is not the model's.
    InputLength {
        /// The model's input length.
        expected: u32,
        /// The length given.
        found: u32,
    },
    /// The output buffer's length is not the model's.
    OutputLength {
        /// The model's output length.
        expected: u32,
        /// The length given.
        found: u32,
    },
    /// The program did not finish in time and was aborted.
    Timeout {
        /// Microseconds waited.
        us: u32,
    },
    /// The program stopped with an error status.
    Hardware {
        /// What the hardware found.
        code: ErrorCode,
        /// The layer it was running.
        layer: u8,
        /// The PE that found it.
        pe: u8,
        /// The column it was reading.
        column: u32,
    },
    /// The accelerator answered accesses with error responses (counted in `AXI_ERR`, for CPUs
    /// that ignore the response itself).
    AxiErrors {
        /// Error responses counted.
        count: u32,
        /// Offset of the last one.
        addr: u32,
    },
    /// A PE index past the build's PE count.
    NoSuchPe {
        /// The index asked for.
        pe: u32,
        /// PEs in the build.
        num_pes: u32,
    },
    /// The buffer given to the protocol server is smaller than its own buffers need.
    StagingTooSmall {
        /// Bytes given.
        len: u32,
        /// Bytes the server's frame and vector buffers take.
        needed: u32,
    },
    /// A layer index past the build's layer descriptors.
    NoSuchLayer {
        /// The index asked for.
        layer: u32,
        /// Descriptors in the build.
        max_layers: u32,
    },
}

/// The driver's result type.
pub type Result<T, E> = core::result::Result<T, Error<E>>;

impl<E> From<ImageError> for Error<E> {
    fn from(e: ImageError) -> Self {
        Error::Image(e)
    }
}

impl<E: core::fmt::Debug> core::fmt::Display for Error<E> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Error::Bus(e) => write!(f, "bus access failed: {e:?}"),
            Error::Image(e) => write!(f, "image: {e}"),
            Error::Geometry(m) => write!(f, "image does not fit the hardware: {m}"),
            Error::BadIdentity { id, version } => write!(
                f,
                "not a supported EIE accelerator (ID {id:#010x}, VERSION {version:#010x}; \
                 expected ID {:#010x}, VERSION {:#x}.x)",
                eie_memmap::regs::ID_VALUE,
                eie_memmap::regs::VERSION_VALUE >> 16
            ),
            Error::UnsupportedGeometry(g) => write!(f, "hardware {g}"),
            Error::NoModel => f.write_str("no model is loaded"),
            Error::Busy => f.write_str("the accelerator is running a program"),
            Error::LoadFailed => f.write_str("an earlier piece of this load failed"),
            Error::InputLength { expected, found } => {
                write!(f, "input has {found} values, the model takes {expected}")
            }
            Error::OutputLength { expected, found } => write!(
                f,
                "output buffer holds {found} values, the model gives {expected}"
            ),
            Error::Timeout { us } => write!(f, "no result after {us} us; program aborted"),
            Error::Hardware {
                code,
                layer,
                pe,
                column,
            } => write!(
                f,
                "accelerator stopped with {code} in layer {layer} (PE {pe}, column {column})"
            ),
            Error::AxiErrors { count, addr } => write!(
                f,
                "the accelerator refused {count} bus access(es), the last at offset {addr:#08x}"
            ),
            Error::NoSuchPe { pe, num_pes } => {
                write!(f, "PE {pe} does not exist (the build has {num_pes})")
            }
            Error::StagingTooSmall { len, needed } => write!(
                f,
                "a staging buffer of {len} bytes; the server's own buffers take {needed}"
            ),
            Error::NoSuchLayer { layer, max_layers } => write!(
                f,
                "layer {layer} does not exist (the build has {max_layers} descriptors)"
            ),
        }
    }
}

impl<E: core::fmt::Debug> core::error::Error for Error<E> {}
