/*
 * pilot_native: the few system calls Node.js does not expose and the pilot needs.
 * Plain Node-API (node_api.h, ABI-stable), so one build serves every Node 22 and the SEA.
 *
 *   cpuid(leaf, subleaf)  x86 only: the raw CPUID registers, for vendor/model/flags without /proc
 *   hwcap()               non-x86 only: getauxval(AT_HWCAP / AT_HWCAP2), e.g. aarch64 feature bits
 *   setChildSubreaper()   prctl(PR_SET_CHILD_SUBREAPER): orphaned payload processes come back to us
 *   childrenRusage()      getrusage(RUSAGE_CHILDREN): CPU of reaped descendants
 *   reap(pids)            waitpid(pid, WNOHANG) for the given pids only (see reap below)
 *   setDumpable(flag)     prctl(PR_SET_DUMPABLE): a non-dumpable pilot hides its /proc files and memory
 *
 * Every function validates its arguments and reports failure by throwing a JS error with the
 * errno text; the TypeScript side (src/native/load.ts) wraps all calls.
 */
#define _GNU_SOURCE
#include <node_api.h>

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define PILOT_HAVE_CPUID 1
#endif

#ifndef AT_HWCAP2
#define AT_HWCAP2 26
#endif
#ifndef PR_SET_CHILD_SUBREAPER
#define PR_SET_CHILD_SUBREAPER 36
#endif

/* Upper bound on pids per reap() call: the caller passes a handful of orphans, never thousands. */
#define PILOT_MAX_REAP 4096

#define NAPI_CALL(env, call)                                                    \
  do {                                                                          \
    if ((call) != napi_ok) {                                                    \
      napi_throw_error((env), NULL, "pilot_native: Node-API call failed: " #call); \
      return NULL;                                                              \
    }                                                                           \
  } while (0)

static napi_value throw_errno(napi_env env, const char *what, int err) {
  char message[256];
  snprintf(message, sizeof message, "pilot_native: %s failed: %s", what, strerror(err));
  napi_throw_error(env, NULL, message);
  return NULL;
}

static napi_value make_uint32(napi_env env, uint32_t value) {
  napi_value out;
  if (napi_create_uint32(env, value, &out) != napi_ok) return NULL;
  return out;
}

static napi_value make_double(napi_env env, double value) {
  napi_value out;
  if (napi_create_double(env, value, &out) != napi_ok) return NULL;
  return out;
}

static int set_named(napi_env env, napi_value object, const char *name, napi_value value) {
  return value != NULL && napi_set_named_property(env, object, name, value) == napi_ok;
}

/* Reads argument `index` as a non-negative integer that fits in 32 bits. */
static int read_uint32_arg(napi_env env, napi_value value, const char *name, uint32_t *out) {
  napi_valuetype type;
  double number;
  if (napi_typeof(env, value, &type) != napi_ok || type != napi_number ||
      napi_get_value_double(env, value, &number) != napi_ok || number < 0 ||
      number > 4294967295.0 || number != (double)(uint32_t)number) {
    char message[128];
    snprintf(message, sizeof message, "pilot_native: %s must be an integer in 0..2^32-1", name);
    napi_throw_type_error(env, NULL, message);
    return 0;
  }
  *out = (uint32_t)number;
  return 1;
}

#ifdef PILOT_HAVE_CPUID
static napi_value cpuid(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) {
    napi_throw_type_error(env, NULL, "pilot_native: cpuid(leaf, subleaf) needs two arguments");
    return NULL;
  }
  uint32_t leaf, subleaf;
  if (!read_uint32_arg(env, argv[0], "leaf", &leaf)) return NULL;
  if (!read_uint32_arg(env, argv[1], "subleaf", &subleaf)) return NULL;

  unsigned int regs[4] = {0, 0, 0, 0};
  /*
   * In the basic and extended ranges, a leaf above the CPU's maximum returns the data of some
   * other leaf (Intel repeats the highest basic leaf): answer zeros there, so callers never
   * mistake it for real data. Other ranges (0x40000000: hypervisor) have no such maximum.
   */
  uint32_t range = leaf & 0xf0000000u;
  if ((range != 0 && range != 0x80000000u) || leaf <= __get_cpuid_max(range, NULL))
    __cpuid_count(leaf, subleaf, regs[0], regs[1], regs[2], regs[3]);

  napi_value result;
  NAPI_CALL(env, napi_create_array_with_length(env, 4, &result));
  for (uint32_t i = 0; i < 4; i++) {
    napi_value reg = make_uint32(env, regs[i]);
    if (reg == NULL) return NULL;
    NAPI_CALL(env, napi_set_element(env, result, i, reg));
  }
  return result;
}
#endif

/*
 * Not on x86: there glibc answers getauxval(AT_HWCAP) with its own platform bits (e.g. 6 for
 * x86_64+AVX512), not the kernel's CPUID(1).EDX copy, so the value would mislead; cpuid() is
 * the source of truth there.
 */
#ifndef PILOT_HAVE_CPUID
static napi_value hwcap(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value result, low, high;
  NAPI_CALL(env, napi_create_object(env, &result));
  NAPI_CALL(env, napi_create_bigint_uint64(env, (uint64_t)getauxval(AT_HWCAP), &low));
  NAPI_CALL(env, napi_create_bigint_uint64(env, (uint64_t)getauxval(AT_HWCAP2), &high));
  NAPI_CALL(env, napi_set_named_property(env, result, "hwcap", low));
  NAPI_CALL(env, napi_set_named_property(env, result, "hwcap2", high));
  return result;
}
#endif

static napi_value set_child_subreaper(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value result;
  int ok = prctl(PR_SET_CHILD_SUBREAPER, 1UL, 0UL, 0UL, 0UL) == 0;
  NAPI_CALL(env, napi_get_boolean(env, ok, &result));
  return result;
}

/*
 * setDumpable(flag): prctl(PR_SET_DUMPABLE, flag ? 1 : 0). Not dumpable, the kernel makes
 * /proc/<pid>/{environ,mem,maps,fd,...} root-owned and refuses ptrace to anyone without
 * CAP_SYS_PTRACE, so a payload running as the pilot's uid cannot read the pilot's memory or
 * environment. The process itself keeps full access to its own /proc/self. execve() resets it.
 * Returns the flag now in force (prctl(PR_GET_DUMPABLE)).
 */
static napi_value set_dumpable(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  napi_valuetype type;
  bool flag = false;
  if (argc < 1 || napi_typeof(env, argv[0], &type) != napi_ok || type != napi_boolean ||
      napi_get_value_bool(env, argv[0], &flag) != napi_ok) {
    napi_throw_type_error(env, NULL, "pilot_native: setDumpable(flag) needs a boolean");
    return NULL;
  }
  if (prctl(PR_SET_DUMPABLE, flag ? 1UL : 0UL, 0UL, 0UL, 0UL) != 0) return throw_errno(env, "prctl(PR_SET_DUMPABLE)", errno);
  int now = prctl(PR_GET_DUMPABLE, 0UL, 0UL, 0UL, 0UL);
  if (now < 0) return throw_errno(env, "prctl(PR_GET_DUMPABLE)", errno);
  napi_value result;
  NAPI_CALL(env, napi_get_boolean(env, now == 1, &result));
  return result;
}

static double timeval_micros(struct timeval tv) {
  return (double)tv.tv_sec * 1e6 + (double)tv.tv_usec;
}

static napi_value children_rusage(napi_env env, napi_callback_info info) {
  (void)info;
  struct rusage usage;
  if (getrusage(RUSAGE_CHILDREN, &usage) != 0) return throw_errno(env, "getrusage", errno);
  napi_value result;
  NAPI_CALL(env, napi_create_object(env, &result));
  /* Linux reports ru_maxrss in KiB. */
  if (!set_named(env, result, "userMicros", make_double(env, timeval_micros(usage.ru_utime))) ||
      !set_named(env, result, "systemMicros", make_double(env, timeval_micros(usage.ru_stime))) ||
      !set_named(env, result, "maxRssKiB", make_double(env, (double)usage.ru_maxrss))) {
    napi_throw_error(env, NULL, "pilot_native: building the rusage object failed");
    return NULL;
  }
  return result;
}

/*
 * reap(pids): waitpid(pid, WNOHANG) on exactly the pids given, never waitpid(-1).
 * libuv waits for the children Node spawned by their pid; if we collected one of those, libuv
 * would get ECHILD and Node would never emit that child's 'exit'. So the caller passes only
 * pids it knows are re-parented orphans (descendants of a payload, now our zombie children).
 * Returns [{ pid, exitCode, signal }] for each pid actually reaped; pids that are not our
 * children or still running are skipped silently.
 */
static napi_value reap(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  bool is_array = false;
  if (argc < 1 || napi_is_array(env, argv[0], &is_array) != napi_ok || !is_array) {
    napi_throw_type_error(env, NULL, "pilot_native: reap(pids) needs an array of pids");
    return NULL;
  }
  uint32_t count;
  NAPI_CALL(env, napi_get_array_length(env, argv[0], &count));
  if (count > PILOT_MAX_REAP) {
    napi_throw_range_error(env, NULL, "pilot_native: reap(pids) accepts at most 4096 pids");
    return NULL;
  }

  napi_value result;
  uint32_t reaped = 0;
  NAPI_CALL(env, napi_create_array(env, &result));
  for (uint32_t i = 0; i < count; i++) {
    napi_value element;
    uint32_t pid;
    NAPI_CALL(env, napi_get_element(env, argv[0], i, &element));
    if (!read_uint32_arg(env, element, "pid", &pid)) return NULL;
    /* pid 0 or anything that is not a positive pid_t would widen waitpid to a process group. */
    if (pid == 0 || pid > 0x7fffffffu) {
      napi_throw_range_error(env, NULL, "pilot_native: reap(pids): each pid must be > 0");
      return NULL;
    }
    int status = 0;
    pid_t got;
    do got = waitpid((pid_t)pid, &status, WNOHANG);
    while (got == -1 && errno == EINTR);
    if (got != (pid_t)pid) continue;

    napi_value entry, exit_code, signal;
    NAPI_CALL(env, napi_create_object(env, &entry));
    NAPI_CALL(env, napi_get_null(env, &exit_code));
    NAPI_CALL(env, napi_get_null(env, &signal));
    if (WIFEXITED(status)) exit_code = make_uint32(env, (uint32_t)WEXITSTATUS(status));
    if (WIFSIGNALED(status)) signal = make_uint32(env, (uint32_t)WTERMSIG(status));
    if (!set_named(env, entry, "pid", make_uint32(env, pid)) ||
        !set_named(env, entry, "exitCode", exit_code) || !set_named(env, entry, "signal", signal)) {
      napi_throw_error(env, NULL, "pilot_native: building the reap result failed");
      return NULL;
    }
    NAPI_CALL(env, napi_set_element(env, result, reaped++, entry));
  }
  return result;
}

static int export_function(napi_env env, napi_value exports, const char *name, napi_callback fn) {
  napi_value value;
  return napi_create_function(env, name, NAPI_AUTO_LENGTH, fn, NULL, &value) == napi_ok &&
         napi_set_named_property(env, exports, name, value) == napi_ok;
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  int ok = 1;
#ifdef PILOT_HAVE_CPUID
  ok = ok && export_function(env, exports, "cpuid", cpuid);
#else
  ok = ok && export_function(env, exports, "hwcap", hwcap);
#endif
  ok = ok && export_function(env, exports, "setChildSubreaper", set_child_subreaper);
  ok = ok && export_function(env, exports, "childrenRusage", children_rusage);
  ok = ok && export_function(env, exports, "reap", reap);
  ok = ok && export_function(env, exports, "setDumpable", set_dumpable);
  if (!ok) {
    napi_throw_error(env, NULL, "pilot_native: registering functions failed");
    return NULL;
  }
  return exports;
}
