/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Input of rvnet's own bindgen run (rust/gen-bindings): the headers the
 * abstraction layer wraps. Generated per kernel build, never committed.
 */
#include <linux/etherdevice.h>
#include <linux/ethtool.h>
#include <linux/if_link.h>
#include <linux/inetdevice.h>
#include <linux/netdevice.h>
#include <linux/ptr_ring.h>
#include <linux/sched/clock.h>
#include <linux/u64_stats_sync.h>
#include <net/addrconf.h>
#include <net/arp.h>
#include <net/genetlink.h>
#include <net/ip6_route.h>
#include <net/ip_fib.h>
#include <net/ndisc.h>
#include <net/neighbour.h>
#include <net/netdev_queues.h>
#include <net/route.h>
#include <net/rtnetlink.h>
#include "rvnet_shim.h"
/* Generated from Documentation/netlink/specs/rvnet.yaml (qemu/module). */
#include "rvnet_nl_gen.h"
