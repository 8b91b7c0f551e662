/**
 * DB12 in DB12's own language: the script the pilot hands to a CPython 3.11 on the node
 * (`python3 -I -S -c SCRIPT SHAPE_JSON`), written for this project from the published algorithm
 * (DIRACGrid/DB12, read for the facts only; bench/python/db12_reference.py is the bench's copy of
 * the same loop).
 *
 * Why the loop is written exactly so: DB12 measures how fast CPython does its per-draw work, so
 * the work must be DB12's: `random.normalvariate` looked up through the module on every draw,
 * and each draw added, and its square added, to TWO pairs of running totals that start as the
 * integer 0. Binding the function to a local name, or keeping one pair, makes the loop 5 to 10 %
 * faster than DB12's and the figure that much higher.
 *
 * What it adds to DB12: the measured draws are cut into chunks, each timed on its own
 * (time.process_time: the process's CPU, nanosecond clock, where DB12's os.times counts 10 ms
 * ticks), so that db12-stats.ts can drop a chunk spoiled by a clock fault and report the spread;
 * and the run stops adding chunks once its wall budget is spent (a loaded node). It prints one
 * JSON line and nothing else.
 */
export const DB12_PYTHON_SCRIPT = `
import json, platform, random, sys, time

def measure(warmup_draws, chunk_draws, chunks, min_chunks, budget_seconds):
    a_sum = 0
    a_sq = 0
    b_sum = 0
    b_sq = 0
    chunk_cpu = []
    chunk_wall = []
    spent = 0.0
    drawn = 0
    chunk = -1
    while chunk < chunks:
        if chunk >= min_chunks and spent >= budget_seconds:
            break
        draws = warmup_draws if chunk < 0 else chunk_draws
        cpu_start = time.process_time()
        wall_start = time.perf_counter()
        for _ in range(draws):
            value = random.normalvariate(10, 1)
            a_sum += value
            a_sq += value * value
            b_sum += value
            b_sq += value * value
        cpu = time.process_time() - cpu_start
        wall = time.perf_counter() - wall_start
        drawn += draws
        if chunk >= 0:
            chunk_cpu.append(cpu)
            chunk_wall.append(wall)
            spent += wall
        chunk += 1
    return chunk_cpu, chunk_wall, a_sum / drawn, b_sq / drawn

shape = json.loads(sys.argv[1])
chunk_cpu, chunk_wall, mean, mean_sq = measure(
    shape["warmupDraws"], shape["chunkDraws"], shape["chunks"], shape["minChunks"], shape["budgetSeconds"])
sys.stdout.write(json.dumps({
    "implementation": platform.python_implementation(),
    "version": "%d.%d.%d" % sys.version_info[:3],
    "chunkCpu": chunk_cpu,
    "chunkWall": chunk_wall,
    "mean": mean,
    "variance": mean_sq - mean * mean,
}) + "\\n")
`;

/** Prints the interpreter's implementation and version, e.g. `CPython 3.11.7`: the check before a measurement. */
export const PYTHON_IDENTITY_SCRIPT = `import platform, sys; sys.stdout.write("%s %d.%d.%d\\n" % ((platform.python_implementation(),) + tuple(sys.version_info[:3])))`;
