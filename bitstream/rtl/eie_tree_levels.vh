// Sizes of the levels of a reduction tree that merges groups of up to 8 nodes per level, for
// eie_reduce_or and eie_reduce_first (included inside the module body).

  // Inputs left after l levels of merging groups of 8 (at least 1).
  function integer level_size(input integer n, input integer l);
    integer i;
    integer s;
    begin
      s = n;
      for (i = 0; i < l; i = i + 1) begin
        s = (s + 7) / 8;
      end
      level_size = s;
    end
  endfunction

  function integer level_offset(input integer n, input integer l);
    integer i;
    integer o;
    begin
      o = 0;
      for (i = 0; i < l; i = i + 1) begin
        o = o + level_size(n, i);
      end
      level_offset = o;
    end
  endfunction
