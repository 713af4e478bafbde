{
  "targets": [
    {
      "target_name": "patchbay_netlink",
      "sources": ["netlink.c", "exchange.c", "netns.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"]
    }
  ]
}
