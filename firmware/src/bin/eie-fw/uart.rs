//! The LiteX UART (polled), as `embedded_io` `Read` and `Write` (`write!` works through the
//! latter).

use crate::{csr, soc};
use core::convert::Infallible;

/// The `uart_ev_pending` bit that acknowledges a received byte (and pops the receive FIFO).
const EV_RX: u32 = 1 << 1;
/// The `uart_ev_pending` bit of the transmit event.
const EV_TX: u32 = 1 << 0;

/// The SoC's UART. Its registers are the only state, so every value of this type is the same
/// device; the panic handler makes its own.
pub struct Uart {
    _private: (),
}

impl Uart {
    /// The UART.
    pub fn new() -> Uart {
        Uart { _private: () }
    }

    fn rx_ready(&self) -> bool {
        csr::read(soc::CSR_UART_RXEMPTY) == 0
    }

    fn tx_ready(&self) -> bool {
        csr::read(soc::CSR_UART_TXFULL) == 0
    }

    fn take_byte(&mut self) -> u8 {
        let byte = csr::read(soc::CSR_UART_RXTX) as u8;
        csr::write(soc::CSR_UART_EV_PENDING, EV_RX);
        byte
    }

    fn put_byte(&mut self, byte: u8) {
        csr::write(soc::CSR_UART_RXTX, u32::from(byte));
        csr::write(soc::CSR_UART_EV_PENDING, EV_TX);
    }

    /// Waits until every byte written has left the transmitter's FIFO.
    pub fn flush_blocking(&mut self) {
        while csr::read(soc::CSR_UART_TXEMPTY) == 0 {}
    }
}

impl embedded_io::ErrorType for Uart {
    type Error = Infallible;
}

impl embedded_io::Read for Uart {
    /// Waits for at least one byte, then takes every byte already received (up to `buf`).
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Infallible> {
        if buf.is_empty() {
            return Ok(0);
        }
        while !self.rx_ready() {}
        let mut n = 0;
        while n < buf.len() && self.rx_ready() {
            buf[n] = self.take_byte();
            n += 1;
        }
        Ok(n)
    }
}

impl embedded_io::ReadReady for Uart {
    fn read_ready(&mut self) -> Result<bool, Infallible> {
        Ok(self.rx_ready())
    }
}

impl embedded_io::Write for Uart {
    /// Waits for room for one byte, then queues as many bytes as fit.
    fn write(&mut self, buf: &[u8]) -> Result<usize, Infallible> {
        if buf.is_empty() {
            return Ok(0);
        }
        while !self.tx_ready() {}
        let mut n = 0;
        while n < buf.len() && self.tx_ready() {
            self.put_byte(buf[n]);
            n += 1;
        }
        Ok(n)
    }

    fn flush(&mut self) -> Result<(), Infallible> {
        self.flush_blocking();
        Ok(())
    }
}

impl embedded_io::WriteReady for Uart {
    fn write_ready(&mut self) -> Result<bool, Infallible> {
        Ok(self.tx_ready())
    }
}
