`default_nettype none
// Requantize one accumulator to an int16 activation (memmap fixed::requantize: round half up
// by `shift` bits, saturate, ReLU), pipelined over four cycles. Rounding half up is the
// floor of acc / 2^shift plus bit shift-1 of acc, so no 49-bit addition is needed:
//   0. the accumulator from the block RAM is registered (the route from the RAM ends in a
//      flip-flop)
//   1. coarse arithmetic shift of {acc, 0} by 8 * shift[5:3] (24 bits kept); saturation
//      test: acc / 2^shift fits int16 when every bit of acc from shift + 15 up equals the
//      sign (sat_mask marks those bits)
//   2. fine shift by shift[2:0]: q = bits shift+15 .. shift of acc, r = bit shift-1
//   3. q + r, saturated (q + r leaves int16 only from 32767 + 1), then ReLU
// A tag (the row) travels alongside.
module eie_requant #(
  parameter integer TagWidth = 8 // bits of the tag, >= 1
) (
  input  wire                clk_i,
  input  wire                rst_ni,
  input  wire                flush_i,
  input  wire [5:0]          shift_i,     // 0..47
  input  wire [47:0]         sat_mask_i,  // bits shift+15 .. 47
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
  reg ovf1_q, ovf2_q;
  reg sign1_q, sign2_q;
  reg [16:0] z_q, z_d;
  reg [15:0] q_q, q_d;

  // Stage 1: coarse shift and saturation test.
  wire [63:0] x_ext = {{15{acc0_q[47]}}, acc0_q, 1'b0};
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
  wire ovf_d = |((acc0_q ^ {48{acc0_q[47]}}) & sat_mask_i);

  // Stage 2: fine shift; z = {q, r}.
  always @* begin
    case (shift_i[2:0])
      3'd0:    z_d = y_q[16:0];
      3'd1:    z_d = y_q[17:1];
      3'd2:    z_d = y_q[18:2];
      3'd3:    z_d = y_q[19:3];
      3'd4:    z_d = y_q[20:4];
      3'd5:    z_d = y_q[21:5];
      3'd6:    z_d = y_q[22:6];
      default: z_d = y_q[23:7];
    endcase
  end

  // Stage 3: round, saturate, ReLU.
  wire [15:0] q = z_q[16:1];
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
    ovf1_q <= ovf_d;
    acc0_q <= acc_i;
    tag0_q <= tag_i;
    sign1_q <= acc0_q[47];
    tag1_q <= tag0_q;
    z_q <= z_d;
    ovf2_q <= ovf1_q;
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
