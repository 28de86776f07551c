`default_nettype none
// Requantize one accumulator to an int16 activation (memmap fixed::requantize), pipelined
// over three cycles:
//   1. x = acc + round, exact in 49 bits (round = 2^(shift-1), or 0 for shift 0)
//   2. coarse arithmetic shift of x by 8 * shift[5:3]; saturation test: every bit of x at
//      or above shift + 15 must equal the sign (sat_mask marks those bits)
//   3. fine shift by shift[2:0], saturate to int16, ReLU
// A tag (the row) travels alongside.
module eie_requant #(
  parameter integer TagWidth = 8 // bits of the tag, >= 1
) (
  input  wire                clk_i,
  input  wire                rst_ni,
  input  wire                flush_i,
  input  wire [5:0]          shift_i,     // 0..47
  input  wire [47:0]         round_i,     // 2^(shift-1), or 0 when shift is 0
  input  wire [48:0]         sat_mask_i,  // bits shift+15 .. 48
  input  wire                relu_i,
  input  wire                valid_i,
  input  wire [47:0]         acc_i,
  input  wire [TagWidth-1:0] tag_i,
  output wire                valid_o,
  output wire [15:0]         q_o,
  output wire [TagWidth-1:0] tag_o
);
  reg v1_q, v2_q, v3_q;
  reg [TagWidth-1:0] tag1_q, tag2_q, tag3_q;
  reg [48:0] x_q;
  reg [22:0] y_q, y_d;
  reg ovf_q;
  reg sign_q;
  reg [15:0] q_q, q_d;

  // Stage 2: coarse shift.
  wire [63:0] x_ext = {{15{x_q[48]}}, x_q};
  always @* begin
    case (shift_i[5:3])
      3'd0:    y_d = x_ext[22:0];
      3'd1:    y_d = x_ext[30:8];
      3'd2:    y_d = x_ext[38:16];
      3'd3:    y_d = x_ext[46:24];
      3'd4:    y_d = x_ext[54:32];
      default: y_d = x_ext[62:40];
    endcase
  end
  wire ovf_d = |((x_q ^ {49{x_q[48]}}) & sat_mask_i);

  // Stage 3: fine shift, saturate, ReLU.
  reg [15:0] z;
  always @* begin
    case (shift_i[2:0])
      3'd0:    z = y_q[15:0];
      3'd1:    z = y_q[16:1];
      3'd2:    z = y_q[17:2];
      3'd3:    z = y_q[18:3];
      3'd4:    z = y_q[19:4];
      3'd5:    z = y_q[20:5];
      3'd6:    z = y_q[21:6];
      default: z = y_q[22:7];
    endcase
    if (ovf_q) begin
      q_d = sign_q ? 16'h8000 : 16'h7fff;
    end else begin
      q_d = z;
    end
    if (relu_i && q_d[15]) begin
      q_d = 16'd0;
    end
  end

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      v1_q <= 1'b0;
      v2_q <= 1'b0;
      v3_q <= 1'b0;
    end else begin
      v1_q <= valid_i & ~flush_i;
      v2_q <= v1_q & ~flush_i;
      v3_q <= v2_q & ~flush_i;
    end
  end

  always @(posedge clk_i) begin
    x_q <= {acc_i[47], acc_i} + {1'b0, round_i};
    tag1_q <= tag_i;
    y_q <= y_d;
    ovf_q <= ovf_d;
    sign_q <= x_q[48];
    tag2_q <= tag1_q;
    q_q <= q_d;
    tag3_q <= tag2_q;
  end

  /* verilator lint_off UNUSEDSIGNAL */
  // Shifts stop at 47, so the top bit of the sign-extended x is never selected.
  wire unused_x_top = x_ext[63];
  /* verilator lint_on UNUSEDSIGNAL */

  assign valid_o = v3_q;
  assign q_o = q_q;
  assign tag_o = tag3_q;
endmodule
`default_nettype wire
