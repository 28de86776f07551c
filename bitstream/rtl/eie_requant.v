`default_nettype none
// Requantize one accumulator to an int16 activation (memmap fixed::requantize: round half up
// by `shift` bits, saturate, ReLU), pipelined over four cycles. Rounding half up is the
// floor of acc / 2^shift plus bit shift-1 of acc, so no 49-bit addition is needed. With
// x = {acc, 0} sign-extended, q = x[shift+16 : shift+1] and the round bit r = x[shift]; acc /
// 2^shift fits int16 when every bit of x from shift + 16 up equals the sign, and then q's
// top bit is the sign, so only x[shift+15 : shift] travels to the last stage.
//   0. the accumulator from the block RAM is registered (the route from the RAM ends in a
//      flip-flop)
//   1. coarse arithmetic shift of x by 8 * shift[5:3] (24 bits kept); the saturation test
//      for the bits above those 24, a byte at a time
//   2. fine shift by shift[2:0] (16 bits kept); the saturation test for bits 16..23 of the
//      coarse result
//   3. q + r, saturated (q + r leaves int16 only from 32767 + 1), then ReLU
// A tag (the row) travels alongside.
module eie_requant #(
  parameter integer TagWidth = 8 // bits of the tag, >= 1
) (
  input  wire                clk_i,
  input  wire                rst_ni,
  input  wire                flush_i,
  input  wire [5:0]          shift_i,     // 0..47
  input  wire                relu_i,
  input  wire                valid_i,
  input  wire [47:0]         acc_i,
  input  wire [TagWidth-1:0] tag_i,
  output wire                valid_o,
  output wire [15:0]         q_o,
  output wire [TagWidth-1:0] tag_o
);
  reg v0_q, v1_q, v2_q, v3_q;
  reg [TagWidth-1:0] tag0_q, tag1_q, tag2_q, tag3_q;
  reg [47:0] acc0_q;
  reg [23:0] y_q, y_d;
  reg high1_q, ovf2_q;
  reg sign1_q, sign2_q;
  reg [15:0] z_q, z_d;
  reg [15:0] q_q, q_d;

  // Stage 1: coarse shift, and whether a bit of x above the 24 kept ones differs from the
  // sign. Those are x[8c+24 ..] for c = shift[5:3], i.e. acc[8c+23 .. 46] (acc[47] is the
  // sign): whole bytes of acc from bit 23 up.
  wire [63:0] x_ext = {{15{acc0_q[47]}}, acc0_q, 1'b0};
  wire [23:0] acc_diff = acc0_q[46:23] ^ {24{acc0_q[47]}};
  wire [2:0] byte_diff = {|acc_diff[23:16], |acc_diff[15:8], |acc_diff[7:0]};
  // The bytes of acc_diff at and above byte c (none from c = 3 up).
  wire high_d = |(byte_diff >> shift_i[5:3]);
  always @* begin
    case (shift_i[5:3])
      3'd0:    y_d = x_ext[23:0];
      3'd1:    y_d = x_ext[31:8];
      3'd2:    y_d = x_ext[39:16];
      3'd3:    y_d = x_ext[47:24];
      3'd4:    y_d = x_ext[55:32];
      default: y_d = x_ext[63:40];
    endcase
  end

  // Stage 2: fine shift, z = {q[14:0], r}; saturation when a bit of x from shift + 16 up
  // differs from the sign (bits f+16 .. 23 of y, f = shift[2:0], or a bit above y).
  always @* begin
    case (shift_i[2:0])
      3'd0:    z_d = y_q[15:0];
      3'd1:    z_d = y_q[16:1];
      3'd2:    z_d = y_q[17:2];
      3'd3:    z_d = y_q[18:3];
      3'd4:    z_d = y_q[19:4];
      3'd5:    z_d = y_q[20:5];
      3'd6:    z_d = y_q[21:6];
      default: z_d = y_q[22:7];
    endcase
  end
  wire [7:0] top_diff = (y_q[23:16] ^ {8{sign1_q}}) >> shift_i[2:0];
  wire ovf_d = high1_q | (|top_diff);

  // Stage 3: round, saturate, ReLU.
  wire [15:0] q = {sign2_q, z_q[15:1]};
  always @* begin
    if (ovf2_q) begin
      q_d = sign2_q ? 16'h8000 : 16'h7fff;
    end else if (q == 16'h7fff) begin
      q_d = 16'h7fff;
    end else begin
      q_d = q + {15'd0, z_q[0]};
    end
    if (relu_i && q_d[15]) begin
      q_d = 16'd0;
    end
  end

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      v0_q <= 1'b0;
      v1_q <= 1'b0;
      v2_q <= 1'b0;
      v3_q <= 1'b0;
    end else begin
      v0_q <= valid_i & ~flush_i;
      v1_q <= v0_q & ~flush_i;
      v2_q <= v1_q & ~flush_i;
      v3_q <= v2_q & ~flush_i;
    end
  end

  always @(posedge clk_i) begin
    y_q <= y_d;
    high1_q <= high_d;
    acc0_q <= acc_i;
    tag0_q <= tag_i;
    sign1_q <= acc0_q[47];
    tag1_q <= tag0_q;
    z_q <= z_d;
    ovf2_q <= ovf_d;
    sign2_q <= sign1_q;
    tag2_q <= tag1_q;
    q_q <= q_d;
    tag3_q <= tag2_q;
  end

  /* verilator lint_off UNUSEDSIGNAL */
  // Shifts stop at 47, so the top bits of the sign-extended acc are never selected.
  wire unused_x_top = |x_ext[63:63];
  /* verilator lint_on UNUSEDSIGNAL */

  assign valid_o = v3_q;
  assign q_o = q_q;
  assign tag_o = tag3_q;
endmodule
`default_nettype wire
