{
  "targets": [
    {
      "target_name": "pilot_native",
      "sources": ["src/pilot_native.c"],
      "cflags": ["-std=c11", "-O2", "-Wall", "-Wextra", "-fvisibility=hidden"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
