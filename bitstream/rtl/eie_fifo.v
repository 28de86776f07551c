`default_nettype none
// Synchronous FIFO with a combinational head (storage read asynchronously, so Yosys maps a
// small one to distributed RAM). Pushing while full or popping while empty is ignored; the
// users never do either. flush_i empties it.
module eie_fifo #(
  parameter integer Width = 32, // bits per element, >= 1
  parameter integer Depth = 4   // elements, 1..64 (any value)
) (
  input  wire                         clk_i,
  input  wire                         rst_ni,
  input  wire                         flush_i,
  input  wire                         push_i,
  input  wire [Width-1:0]             data_i,
  input  wire                         pop_i,
  output wire [Width-1:0]             head_o,
  output wire                         empty_o,
  output wire                         full_o,
  output wire [$clog2(Depth+1)-1:0]   count_o
);
  // Storage rounded up to a power of two (distributed RAM is 16 deep anyway), so the
  // pointers wrap by themselves; fullness is by count.
  localparam integer PTRW = (Depth > 1) ? $clog2(Depth) : 1;
  localparam integer CNTW = $clog2(Depth + 1);
  localparam [31:0] DEPTH32 = Depth;
  localparam [CNTW-1:0] FULL_COUNT = DEPTH32[CNTW-1:0];

  generate
    if (Depth < 1 || Depth > 64 || Width < 1) begin : g_bad_params
`ifdef __ICARUS__
      initial $fatal(1, "eie_fifo: Depth must be 1..64");
`else
      $error("eie_fifo: Depth must be 1..64");
`endif
    end
  endgenerate

  reg [Width-1:0] mem [0:(1 << PTRW)-1];
  reg [PTRW-1:0] rd_q, rd_d;
  reg [PTRW-1:0] wr_q, wr_d;
  reg [CNTW-1:0] count_q, count_d;

  wire do_push = push_i & (count_q != FULL_COUNT);
  wire do_pop = pop_i & (count_q != {CNTW{1'b0}});

  always @* begin
    rd_d = rd_q;
    wr_d = wr_q;
    count_d = count_q;
    if (do_push) begin
      wr_d = wr_q + 1'b1;
    end
    if (do_pop) begin
      rd_d = rd_q + 1'b1;
    end
    case ({do_push, do_pop})
      2'b10:   count_d = count_q + 1'b1;
      2'b01:   count_d = count_q - 1'b1;
      default: count_d = count_q;
    endcase
    if (flush_i) begin
      rd_d = {PTRW{1'b0}};
      wr_d = {PTRW{1'b0}};
      count_d = {CNTW{1'b0}};
    end
  end

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      rd_q <= {PTRW{1'b0}};
      wr_q <= {PTRW{1'b0}};
      count_q <= {CNTW{1'b0}};
    end else begin
      rd_q <= rd_d;
      wr_q <= wr_d;
      count_q <= count_d;
    end
  end

  always @(posedge clk_i) begin
    if (do_push) begin
      mem[wr_q] <= data_i;
    end
  end

  assign head_o = mem[rd_q];
  assign empty_o = (count_q == {CNTW{1'b0}});
  assign full_o = (count_q == FULL_COUNT);
  assign count_o = count_q;
endmodule
`default_nettype wire
