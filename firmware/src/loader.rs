//! Streaming image loading: decode a piece at a time, write each record as it is checked.

use crate::driver::{Eie, ModelInfo};
use crate::error::{Error, Result};
use crate::log::debug;
use crate::Bus;
use eie_memmap::geometry::CODEBOOK_SIZE;
use eie_memmap::image::{Chunk, Event, Header, Layer, Memory, StreamDecoder, StreamError};
use eie_memmap::regs;

/// A load in progress: [`feed`](Loader::feed) the image in pieces of any size, then
/// [`finish`](Loader::finish).
///
/// - The header arrives first; an image encoded for another PE count or needing more memory
///   than the hardware reports is refused before anything is written, and the model loaded
///   before (if any) stays active.
/// - From the first write on, no model is active, and `NUM_LAYERS` is 0 so that the hardware
///   refuses a start too. Layer descriptors, codebooks, pointers and sparse-matrix words are
///   written as their records arrive, each already checked by the decoder.
/// - [`finish`](Loader::finish) activates the model only if the image ended with a valid
///   integrity check and the hardware counted no error responses. Any failure, or dropping
///   the loader early, leaves no model active.
pub struct Loader<'a, B: Bus, D: embedded_hal::delay::DelayNs> {
    eie: &'a mut Eie<B, D>,
    decoder: StreamDecoder,
    header: Option<Header>,
    failed: bool,
}

impl<'a, B: Bus, D: embedded_hal::delay::DelayNs> Loader<'a, B, D> {
    pub(crate) fn new(eie: &'a mut Eie<B, D>) -> Self {
        Loader {
            eie,
            decoder: StreamDecoder::new(),
            header: None,
            failed: false,
        }
    }

    /// Takes the next piece of the image. After an error the load is over: later calls
    /// return [`Error::LoadFailed`].
    pub fn feed(&mut self, bytes: &[u8]) -> Result<(), B::Error> {
        if self.failed {
            return Err(Error::LoadFailed);
        }
        let eie = &mut *self.eie;
        let header = &mut self.header;
        let result = self
            .decoder
            .feed(bytes, |event| write_event(eie, header, event));
        result.map_err(|e| {
            self.failed = true;
            match e {
                StreamError::Image(e) => Error::Image(e),
                StreamError::Sink(e) => e,
            }
        })
    }

    /// Ends the load: checks that the whole image arrived, enables the layer program and
    /// checks that the hardware accepted every write.
    pub fn finish(self) -> Result<ModelInfo, B::Error> {
        if self.failed {
            return Err(Error::LoadFailed);
        }
        self.decoder.finish()?;
        let header = self.header.ok_or(Error::NoModel)?;
        let eie = self.eie;
        eie.write(regs::NUM_LAYERS, header.needs.num_layers)?;
        eie.check_axi_errors()?;
        let model = ModelInfo {
            header,
            image_len: self.decoder.decoder().position(),
        };
        eie.set_model(Some(model));
        debug!(
            "eie: model loaded, {} layers",
            model.header.needs.num_layers
        );
        Ok(model)
    }
}

fn write_event<B: Bus, D: embedded_hal::delay::DelayNs>(
    eie: &mut Eie<B, D>,
    header: &mut Option<Header>,
    event: Event<'_>,
) -> Result<(), B::Error> {
    match event {
        Event::Header(h) => {
            h.needs.fits(eie.geometry()).map_err(Error::Geometry)?;
            eie.ensure_idle()?;
            // From here on the memories change: the previous model is gone.
            eie.set_model(None);
            eie.write(regs::NUM_LAYERS, 0)?;
            eie.clear_axi_errors()?;
            *header = Some(h);
            Ok(())
        }
        Event::Layer(layer) => write_layer(eie, &layer),
        Event::Chunk(chunk) => write_chunk(eie, &chunk),
        Event::End => Ok(()),
    }
}

fn write_layer<B: Bus, D: embedded_hal::delay::DelayNs>(
    eie: &mut Eie<B, D>,
    layer: &Layer,
) -> Result<(), B::Error> {
    let l = u32::from(layer.index);
    let fields = [
        (regs::LAYER_IN_LEN, layer.in_len),
        (regs::LAYER_OUT_LEN, layer.out_len),
        (regs::LAYER_PTR_BASE, layer.ptr_base),
        (regs::LAYER_CFG, layer.cfg_value()),
        (regs::LAYER_BIAS_ACT, layer.bias_activation() as i32 as u32),
    ];
    for (field, value) in fields {
        eie.write(regs::layer_reg(l, field), value)?;
    }
    for (code, &weight) in (0..CODEBOOK_SIZE).zip(&layer.codebook) {
        eie.write(regs::codebook_addr(l, code), weight as i32 as u32)?;
    }
    Ok(())
}

fn write_chunk<B: Bus, D: embedded_hal::delay::DelayNs>(
    eie: &mut Eie<B, D>,
    chunk: &Chunk<'_>,
) -> Result<(), B::Error> {
    let geometry = *eie.geometry();
    for (i, word) in (0u32..).zip(chunk.words()) {
        let offset = match chunk.memory {
            Memory::Pointers => regs::ptr_addr(&geometry, chunk.pe, chunk.offset + i),
            Memory::Spmat => {
                regs::spmat_addr(&geometry, chunk.pe, chunk.offset + i / 2) + (i % 2) * 4
            }
        };
        eie.write(offset, word)?;
    }
    Ok(())
}
