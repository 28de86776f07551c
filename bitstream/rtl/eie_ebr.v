`default_nettype none
// One ECP5 block RAM (DP16KD) with vector ports, for synthesis only: eie_ram_sdp and
// eie_ram_dp instantiate it under `ifdef SYNTHESIS` so that the block RAM's own output
// register (REGMODE OUTREG) holds the read data. Yosys 0.70 never sets OUTREG when it infers
// a RAM, and an EBR read without it is 5.8 ns clock-to-out on the -6 part (0.96 ns with it).
// Simulators (Verilator, Icarus) never see this module: the RAM modules keep their
// behavioural code there, with the same read latency of 2.
//
// Pin use as in Yosys' own ECP5 mapping (techlibs/lattice/brams_map_16kd.v) and Lattice
// TN1264: a port of width 18 takes its word address on AD[13:4] and byte enables on AD[1:0];
// widths 9, 4, 2, 1 take it on AD[13:3], AD[13:2], AD[13:1], AD[13:0]. Width 36 is the
// pseudo-dual-port mode: writes through port A (low half on DIA, high half on DIB, byte
// enables on ADA[3:0], address on ADA[13:5]), reads through port B (address on ADB[13:5],
// low half on DOA, high half on DOB).
`ifdef SYNTHESIS
module eie_ebr #(
  parameter integer WidthA = 18,       // 1, 2, 4, 9, 18 or 36 (36: both ports, PDP mode)
  parameter integer WidthB = 18,
  parameter RegA = "NOREG",            // "NOREG" or "OUTREG"
  parameter RegB = "NOREG"
) (
  input  wire        clk_i,
  input  wire        cea_i,
  input  wire        wea_i,
  input  wire [13:0] ada_i,
  input  wire [17:0] dia_i,
  output wire [17:0] doa_o,
  input  wire        ceb_i,
  input  wire        web_i,
  input  wire [13:0] adb_i,
  input  wire [17:0] dib_i,
  output wire [17:0] dob_o
);
  DP16KD #(
    .DATA_WIDTH_A(WidthA),
    .DATA_WIDTH_B(WidthB),
    .REGMODE_A(RegA),
    .REGMODE_B(RegB),
    .RESETMODE("SYNC"),
    .ASYNC_RESET_RELEASE("SYNC"),
    .CSDECODE_A("0b000"),
    .CSDECODE_B("0b000"),
    .WRITEMODE_A("NORMAL"),
    .WRITEMODE_B("NORMAL"),
    .GSR("DISABLED")
  ) u_ram (
    .CLKA(clk_i), .CEA(cea_i), .OCEA(1'b1), .WEA(wea_i), .RSTA(1'b0),
    .CSA0(1'b0), .CSA1(1'b0), .CSA2(1'b0),
    .ADA0(ada_i[0]), .ADA1(ada_i[1]), .ADA2(ada_i[2]), .ADA3(ada_i[3]), .ADA4(ada_i[4]),
    .ADA5(ada_i[5]), .ADA6(ada_i[6]), .ADA7(ada_i[7]), .ADA8(ada_i[8]), .ADA9(ada_i[9]),
    .ADA10(ada_i[10]), .ADA11(ada_i[11]), .ADA12(ada_i[12]), .ADA13(ada_i[13]),
    .DIA0(dia_i[0]), .DIA1(dia_i[1]), .DIA2(dia_i[2]), .DIA3(dia_i[3]), .DIA4(dia_i[4]),
    .DIA5(dia_i[5]), .DIA6(dia_i[6]), .DIA7(dia_i[7]), .DIA8(dia_i[8]), .DIA9(dia_i[9]),
    .DIA10(dia_i[10]), .DIA11(dia_i[11]), .DIA12(dia_i[12]), .DIA13(dia_i[13]),
    .DIA14(dia_i[14]), .DIA15(dia_i[15]), .DIA16(dia_i[16]), .DIA17(dia_i[17]),
    .DOA0(doa_o[0]), .DOA1(doa_o[1]), .DOA2(doa_o[2]), .DOA3(doa_o[3]), .DOA4(doa_o[4]),
    .DOA5(doa_o[5]), .DOA6(doa_o[6]), .DOA7(doa_o[7]), .DOA8(doa_o[8]), .DOA9(doa_o[9]),
    .DOA10(doa_o[10]), .DOA11(doa_o[11]), .DOA12(doa_o[12]), .DOA13(doa_o[13]),
    .DOA14(doa_o[14]), .DOA15(doa_o[15]), .DOA16(doa_o[16]), .DOA17(doa_o[17]),
    .CLKB(clk_i), .CEB(ceb_i), .OCEB(1'b1), .WEB(web_i), .RSTB(1'b0),
    .CSB0(1'b0), .CSB1(1'b0), .CSB2(1'b0),
    .ADB0(adb_i[0]), .ADB1(adb_i[1]), .ADB2(adb_i[2]), .ADB3(adb_i[3]), .ADB4(adb_i[4]),
    .ADB5(adb_i[5]), .ADB6(adb_i[6]), .ADB7(adb_i[7]), .ADB8(adb_i[8]), .ADB9(adb_i[9]),
    .ADB10(adb_i[10]), .ADB11(adb_i[11]), .ADB12(adb_i[12]), .ADB13(adb_i[13]),
    .DIB0(dib_i[0]), .DIB1(dib_i[1]), .DIB2(dib_i[2]), .DIB3(dib_i[3]), .DIB4(dib_i[4]),
    .DIB5(dib_i[5]), .DIB6(dib_i[6]), .DIB7(dib_i[7]), .DIB8(dib_i[8]), .DIB9(dib_i[9]),
    .DIB10(dib_i[10]), .DIB11(dib_i[11]), .DIB12(dib_i[12]), .DIB13(dib_i[13]),
    .DIB14(dib_i[14]), .DIB15(dib_i[15]), .DIB16(dib_i[16]), .DIB17(dib_i[17]),
    .DOB0(dob_o[0]), .DOB1(dob_o[1]), .DOB2(dob_o[2]), .DOB3(dob_o[3]), .DOB4(dob_o[4]),
    .DOB5(dob_o[5]), .DOB6(dob_o[6]), .DOB7(dob_o[7]), .DOB8(dob_o[8]), .DOB9(dob_o[9]),
    .DOB10(dob_o[10]), .DOB11(dob_o[11]), .DOB12(dob_o[12]), .DOB13(dob_o[13]),
    .DOB14(dob_o[14]), .DOB15(dob_o[15]), .DOB16(dob_o[16]), .DOB17(dob_o[17])
  );
endmodule
`endif
`default_nettype wire
