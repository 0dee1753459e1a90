// How wide the staged rows are, kept as the bytes of each block of consecutive rows: enough to bound the bytes of
// any run of rows (a chunk DuckDB reads at once, a Parquet row group) without holding a number per row, so the
// final write can be sized from the rows it must hold rather than from a guess made for some other schema.

/** Rows per block: one number per 256 rows (100 M rows cost 3 MB), and a window's bound is off by one block. */
const BLOCK_ROWS = 256;

export class RowWidths {
  private readonly blocks: number[] = [];
  private current = 0;
  private rowsInBlock = 0;
  private total = 0;
  private widest = 0;

  /** Counts one row of `bytes` bytes. Rows must be added in output order. */
  add(bytes: number): void {
    this.current += bytes;
    this.total += bytes;
    if (bytes > this.widest) this.widest = bytes;
    if (++this.rowsInBlock === BLOCK_ROWS) {
      this.blocks.push(this.current);
      this.current = 0;
      this.rowsInBlock = 0;
    }
  }

  /** Bytes of every row added. */
  get bytes(): number {
    return this.total;
  }

  /** Bytes of the widest row. */
  get maxRow(): number {
    return this.widest;
  }

  /**
   * An upper bound on the bytes of any `rows` consecutive rows: the largest sum of the blocks such a run can touch.
   * Never below the truth, and above it by at most two blocks' worth of rows.
   */
  maxWindow(rows: number): number {
    const sums = this.rowsInBlock > 0 ? [...this.blocks, this.current] : this.blocks;
    const span = Math.min(sums.length, Math.ceil(rows / BLOCK_ROWS) + 1);
    let window = 0;
    for (let i = 0; i < span; i++) window += sums[i]!;
    let max = window;
    for (let i = span; i < sums.length; i++) {
      window += sums[i]! - sums[i - span]!;
      if (window > max) max = window;
    }
    return max;
  }
}
