/**
 * A resource report per job in prmon's formats (issue 21 §5), so users and tools that read prmon
 * (PanDA pilot3, prmon's own plotting scripts) read ours: a tab-separated time series whose first
 * line names the columns, and a JSON summary with "Max" and "Avg" as prmon writes them. Samples
 * come from the watchdog's existing /proc walk: nothing here reads /proc.
 *
 * Units as prmon's: memory in kB, I/O in bytes (averages in bytes per second), times in seconds.
 * Not reported: network (prmon's own docs call per-process network figures unreliable) and the
 * "HW" block (prmon --suppress-hw-info; the pilot reports the node in its own probe).
 */
import type { TreeUsage } from './tree-usage.js';

/** The time-series columns, in prmon's names. GPU columns join them when the job has GPUs sampled. */
export const PRMON_COLUMNS = [
  'Time',
  'wtime',
  'nprocs',
  'nthreads',
  'stime',
  'utime',
  'pss',
  'rss',
  'swap',
  'vmem',
  'rchar',
  'read_bytes',
  'wchar',
  'write_bytes',
] as const;
export const PRMON_GPU_COLUMNS = ['ngpus', 'gpufbmem', 'gpumempct', 'gpusmpct'] as const;

type Column = (typeof PRMON_COLUMNS)[number] | (typeof PRMON_GPU_COLUMNS)[number];

/** What the GPU monitor found for the job's processes at one sample (NVIDIA only). */
export interface GpuSample {
  ngpus: number;
  /** Frame-buffer memory of the job's processes, kB. */
  gpufbmem: number;
  gpumempct: number;
  gpusmpct: number;
}

/** Which prmon statistics get an average, and how (prmon's parameter lists: memmon, iomon, countmon, nvidiamon). */
const AVERAGED_BY_SAMPLE: readonly Column[] = [
  'pss',
  'rss',
  'swap',
  'vmem',
  'nprocs',
  'nthreads',
  'ngpus',
  'gpufbmem',
  'gpumempct',
  'gpusmpct',
];
const AVERAGED_BY_TIME: readonly Column[] = ['rchar', 'read_bytes', 'wchar', 'write_bytes'];
/** Counters: the summary's "Max" is their last (largest) value. */
const COUNTERS: readonly Column[] = ['wtime', 'stime', 'utime', 'rchar', 'read_bytes', 'wchar', 'write_bytes'];

export interface PrmonSummary {
  Max: Record<string, number>;
  Avg: Record<string, number>;
}

/** Rows kept in memory at most; past it every other row is dropped (a week-long job stays bounded). */
const MAX_ROWS = 20_000;

export class ResourceReport {
  private readonly rows: number[][] = [];
  private readonly max = new Map<Column, number>();
  private readonly sums = new Map<Column, number>();
  private samples = 0;
  private lastRowAt = -Infinity;
  private gpu = false;
  private keepEvery = 1;
  private seen = 0;

  /** `rowIntervalSeconds`: the time series' resolution (prmon's --interval; every sample still counts in the summary). */
  constructor(private readonly rowIntervalSeconds = 30) {}

  add(epochSeconds: number, wallSeconds: number, usage: TreeUsage, gpu?: GpuSample | null): void {
    if (gpu) this.gpu = true;
    const values: Record<Column, number> = {
      Time: Math.floor(epochSeconds),
      wtime: Math.round(wallSeconds),
      nprocs: usage.processCount,
      nthreads: usage.threadCount,
      stime: Math.round(usage.systemSeconds),
      utime: Math.round(usage.userSeconds),
      pss: Math.round(usage.pssMB * 1024),
      rss: Math.round(usage.rssMB * 1024),
      swap: Math.round(usage.swapMB * 1024),
      vmem: Math.round(usage.vsizeMB * 1024),
      rchar: usage.io.rchar,
      read_bytes: usage.io.readBytes,
      wchar: usage.io.wchar,
      write_bytes: usage.io.writeBytes,
      ngpus: gpu?.ngpus ?? 0,
      gpufbmem: gpu?.gpufbmem ?? 0,
      gpumempct: gpu?.gpumempct ?? 0,
      gpusmpct: gpu?.gpusmpct ?? 0,
    };
    this.samples++;
    for (const column of Object.keys(values) as Column[]) {
      if (column === 'Time') continue;
      this.max.set(column, Math.max(this.max.get(column) ?? 0, values[column]));
      if (AVERAGED_BY_SAMPLE.includes(column)) this.sums.set(column, (this.sums.get(column) ?? 0) + values[column]);
    }
    if (wallSeconds - this.lastRowAt < this.rowIntervalSeconds) return;
    this.lastRowAt = wallSeconds;
    if (this.seen++ % this.keepEvery !== 0) return;
    this.rows.push(this.columns().map((column) => values[column]));
    if (this.rows.length > MAX_ROWS) {
      for (let i = this.rows.length - 1; i > 0; i -= 2) this.rows.splice(i, 1);
      this.keepEvery *= 2;
    }
  }

  columns(): Column[] {
    return this.gpu ? [...PRMON_COLUMNS, ...PRMON_GPU_COLUMNS] : [...PRMON_COLUMNS];
  }

  /** prmon.txt: a header line of column names, then one tab-separated row per interval. */
  timeSeries(): string {
    const columns = this.columns();
    const lines = [
      columns.join('\t'),
      ...this.rows.map((row) =>
        row
          .slice(0, columns.length)
          .map((v) => v ?? 0)
          .join('\t'),
      ),
    ];
    return `${lines.join('\n')}\n`;
  }

  /** prmon.json's "Max" and "Avg". */
  summary(): PrmonSummary {
    const wtime = this.max.get('wtime') ?? 0;
    const Max: Record<string, number> = {};
    const Avg: Record<string, number> = {};
    for (const column of this.columns()) {
      if (column === 'Time') continue;
      Max[column] = this.max.get(column) ?? 0;
      if (AVERAGED_BY_SAMPLE.includes(column) && this.samples > 0) Avg[column] = round3((this.sums.get(column) ?? 0) / this.samples);
      if (AVERAGED_BY_TIME.includes(column)) Avg[column] = wtime > 0 ? round3((this.max.get(column) ?? 0) / wtime) : 0;
    }
    return { Max, Avg };
  }

  /**
   * The job parameters PanDA's server gets from pilot3's prmon summary, in its names
   * (JOB_PARAMETER_NAMES): memory in kB, I/O totals in bytes and rates in bytes per second.
   */
  jobParameters(): Record<string, number> {
    const { Max, Avg } = this.summary();
    // A counter's Max is its total; averages and rates are rounded to whole units.
    const named = (columns: Readonly<Record<string, string>>, maxPrefix: string, avgPrefix: string) => ({
      ...Object.fromEntries(Object.entries(columns).map(([name, column]) => [maxPrefix + name, Max[column] ?? 0])),
      ...Object.fromEntries(Object.entries(columns).map(([name, column]) => [avgPrefix + name, Math.round(Avg[column] ?? 0)])),
    });
    return { ...named(JOB_PARAMETER_NAMES.memory, 'max', 'avg'), ...named(JOB_PARAMETER_NAMES.io, 'tot', 'rate') };
  }
}

/**
 * pilot3's job parameter names → prmon columns: maxRSS and avgRSS from rss (memory); totRCHAR
 * and rateRCHAR from rchar (I/O); and so on.
 */
const JOB_PARAMETER_NAMES = {
  memory: { RSS: 'rss', VMEM: 'vmem', SWAP: 'swap', PSS: 'pss' },
  io: { RCHAR: 'rchar', WCHAR: 'wchar', RBYTES: 'read_bytes', WBYTES: 'write_bytes' },
} as const;

const round3 = (value: number) => Math.round(value * 1000) / 1000;

/** Counters are cumulative: their Max is the total. Exported for the docs' table test. */
export const PRMON_COUNTERS = COUNTERS;
