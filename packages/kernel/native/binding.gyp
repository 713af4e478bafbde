{
  "targets": [
    {
      "target_name": "patchbay_netlink",
      "sources": ["netlink.c", "exchange.c", "sequence.c", "netns.c", "netns-read.c", "nft.c", "malloc.c", "idle-write.c", "beside.c", "replace.c"],
      "libraries": ["-ldl", "-lpthread"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"]
    }
  ]
}
