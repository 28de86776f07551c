`default_nettype none
// Write-back at the end of a layer: reads the PE's accumulators for rows 0 .. rows-1, one
// per cycle, zeroes each one behind the read (so the next layer starts from zero), and writes
// the requantized activation into the destination activation file at the same local
// address.
module eie_writeback #(
  parameter integer ActEntries = 256 // rows per PE, power of two >= 2
) (
  input  wire                          clk_i,
  input  wire                          rst_ni,
  input  wire                          flush_i,
  input  wire                          start_i,
  input  wire [$clog2(ActEntries):0]   rows_i,
  input  wire [5:0]                    shift_i,
  input  wire                          relu_i,
  // Accumulator memory: read (latency 2) and the zeroing write.
  output wire                          acc_re_o,
  output wire [$clog2(ActEntries)-1:0] acc_raddr_o,
  input  wire [47:0]                   acc_rdata_i,
  output wire                          acc_we_o,
  output wire [$clog2(ActEntries)-1:0] acc_waddr_o,
  // Destination activation file.
  output wire                          act_we_o,
  output wire [$clog2(ActEntries)-1:0] act_waddr_o,
  output wire [15:0]                   act_wdata_o,
  output wire                          busy_o
);
  localparam integer AW = $clog2(ActEntries);

  reg active_q, active_d;
  reg [AW:0] row_q, row_d;
  reg [AW:0] rows_q, rows_d;
  reg r1_valid_q, r2_valid_q;
  reg [AW-1:0] r1_row_q, r2_row_q;
  wire q_valid;
  wire [AW-1:0] q_row;
  wire [15:0] q;

  wire issue = active_q & ~flush_i;

  always @* begin
    active_d = active_q;
    row_d = row_q;
    rows_d = rows_q;
    if (start_i) begin
      row_d = {(AW + 1){1'b0}};
      rows_d = rows_i;
      active_d = (rows_i != {(AW + 1){1'b0}});
    end else if (issue) begin
      row_d = row_q + 1'b1;
      active_d = (row_q + 1'b1 != rows_q);
    end
    if (flush_i) begin
      active_d = 1'b0;
    end
  end

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      active_q <= 1'b0;
      row_q <= {(AW + 1){1'b0}};
      rows_q <= {(AW + 1){1'b0}};
      r1_valid_q <= 1'b0;
      r2_valid_q <= 1'b0;
    end else begin
      active_q <= active_d;
      row_q <= row_d;
      rows_q <= rows_d;
      r1_valid_q <= issue;
      r2_valid_q <= r1_valid_q & ~flush_i;
    end
  end

  always @(posedge clk_i) begin
    r1_row_q <= row_q[AW-1:0];
    r2_row_q <= r1_row_q;
  end

  eie_requant #(
    .TagWidth(AW)
  ) u_requant (
    .clk_i(clk_i),
    .rst_ni(rst_ni),
    .flush_i(flush_i),
    .shift_i(shift_i),
    .relu_i(relu_i),
    .valid_i(r2_valid_q),
    .acc_i(acc_rdata_i),
    .tag_i(r2_row_q),
    .valid_o(q_valid),
    .q_o(q),
    .tag_o(q_row)
  );

  // Requantizer stages in flight (eie_requant has four).
  reg [3:0] inflight_q;
  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      inflight_q <= 4'd0;
    end else begin
      inflight_q <= {inflight_q[2:0], r2_valid_q & ~flush_i} & {4{~flush_i}};
    end
  end

  assign acc_re_o = issue;
  assign acc_raddr_o = row_q[AW-1:0];
  assign acc_we_o = r2_valid_q;
  assign acc_waddr_o = r2_row_q;
  assign act_we_o = q_valid;
  assign act_waddr_o = q_row;
  assign act_wdata_o = q;
  assign busy_o = active_q | r1_valid_q | r2_valid_q | (|inflight_q);
endmodule
`default_nettype wire
