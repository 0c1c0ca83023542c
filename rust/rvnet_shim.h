/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rvnet C shim: out-of-line copies of the static inline kernel helpers that
 * the Rust abstraction layer calls, plus compile-time constants that bindgen
 * cannot evaluate from function-like macros. No logic lives here.
 *
 * This header is also the input of bindgen (see rust/bindings_helper.h), so
 * the Rust declarations of these functions are generated, never hand-written.
 */
#ifndef RVNET_SHIM_H
#define RVNET_SHIM_H

#include <linux/bpf.h>
#include <linux/cred.h>
#include <linux/etherdevice.h>
#include <linux/ethtool.h>
#include <linux/filter.h>
#include <linux/if_vlan.h>
#include <linux/netdevice.h>
#include <linux/ptr_ring.h>
#include <linux/rcupdate.h>
#include <linux/skbuff.h>
#include <linux/u64_stats_sync.h>
#include <net/rtnetlink.h>
#include <net/net_namespace.h>
#include <net/genetlink.h>
#include <net/route.h>
#include <net/ip_fib.h>
#include <net/ip6_route.h>
#include <net/ipv6.h>
#include <net/ip6_fib.h>
#include <net/neighbour.h>
#include <net/arp.h>
#include <net/ndisc.h>
#include <net/sch_generic.h>
#include <net/sock.h>
#include <net/xdp.h>

/* Sizes as the C compiler sees them for this .config (build-time check). */
enum rvnet_c_sizes {
	RVNET_C_SIZEOF_NET_DEVICE = sizeof(struct net_device),
	RVNET_C_SIZEOF_SK_BUFF = sizeof(struct sk_buff),
	RVNET_C_SIZEOF_NAPI_STRUCT = sizeof(struct napi_struct),
	RVNET_C_SIZEOF_PTR_RING = sizeof(struct ptr_ring),
	RVNET_C_SIZEOF_NETDEV_QUEUE = sizeof(struct netdev_queue),
	RVNET_C_SIZEOF_RTNL_LINK_OPS = sizeof(struct rtnl_link_ops),
	/* Where netdev_priv() puts the private area. */
	RVNET_C_NETDEV_PRIV_OFFSET = ALIGN(sizeof(struct net_device), NETDEV_ALIGN),
};

/* Constants from expressions bindgen cannot evaluate. */
enum rvnet_c_consts {
	/* XDP: headroom of an xdp_buff, page and fragment limits. */
	RVNET_C_XDP_PACKET_HEADROOM = XDP_PACKET_HEADROOM,
	RVNET_C_NET_IP_ALIGN = NET_IP_ALIGN,
	RVNET_C_PAGE_SIZE = PAGE_SIZE,
	RVNET_C_MAX_SKB_FRAGS = MAX_SKB_FRAGS,
	RVNET_C_XDP_SETUP_PROG = XDP_SETUP_PROG,
	RVNET_C_XDP_PASS = XDP_PASS,
	RVNET_C_XDP_XMIT_FLUSH = XDP_XMIT_FLUSH,
	RVNET_C_XDP_XMIT_FLAGS_MASK = XDP_XMIT_FLAGS_MASK,
	RVNET_C_VLAN_HLEN = VLAN_HLEN,
	RVNET_C_GENLMSG_DEFAULT_SIZE = GENLMSG_DEFAULT_SIZE,
	RVNET_C_FIB_TABLE_HASHSZ = FIB_TABLE_HASHSZ,
	/* Bit numbers of dev->state and netdev_queue->state. */
	RVNET_C_LINK_STATE_START = __LINK_STATE_START,
	RVNET_C_QUEUE_STATE_DRV_XOFF = __QUEUE_STATE_DRV_XOFF,
	/*
	 * 1 when rcu_read_lock() and rcu_read_unlock() compile to a compiler
	 * barrier for this .config: no preemptible RCU, no preempt count
	 * (preempt_disable() is barrier()), no lockdep map, no RCU checking
	 * and no strict grace periods (include/linux/rcupdate.h).
	 */
	RVNET_C_RCU_READ_LOCK_IS_BARRIER = !IS_ENABLED(CONFIG_PREEMPT_RCU) &&
		!IS_ENABLED(CONFIG_PREEMPT_COUNT) &&
		!IS_ENABLED(CONFIG_DEBUG_LOCK_ALLOC) &&
		!IS_ENABLED(CONFIG_PROVE_RCU) &&
		!IS_ENABLED(CONFIG_RCU_STRICT_GRACE_PERIOD),
};

/*
 * Fields the Rust side reads or writes directly, by id: the load-time layout
 * check compares each offset the compiled shim sees with the Rust one.
 */
enum rvnet_c_field_ids {
	RVNET_F_NET_DEVICE_FLAGS,
	RVNET_F_NET_DEVICE_STATE,
	RVNET_F_NET_DEVICE_IFINDEX,
	RVNET_F_NET_DEVICE_TX,
	RVNET_F_NET_DEVICE_NUM_TX_QUEUES,
	RVNET_F_NET_DEVICE_REAL_NUM_TX_QUEUES,
	RVNET_F_NET_DEVICE_NUM_RX_QUEUES,
	RVNET_F_NET_DEVICE_REAL_NUM_RX_QUEUES,
	RVNET_F_NET_DEVICE_FEATURES,
	RVNET_F_NET_DEVICE_HW_FEATURES,
	RVNET_F_NET_DEVICE_WANTED_FEATURES,
	RVNET_F_NET_DEVICE_MTU,
	RVNET_F_NET_DEVICE_MIN_MTU,
	RVNET_F_NET_DEVICE_MAX_MTU,
	RVNET_F_NET_DEVICE_NAME,
	RVNET_F_NET_DEVICE_NETDEV_OPS,
	RVNET_F_NET_DEVICE_ETHTOOL_OPS,
	RVNET_F_NET_DEVICE_STAT_OPS,
	RVNET_F_NET_DEVICE_RTNL_LINK_OPS,
	RVNET_F_NET_DEVICE_PRIV_DESTRUCTOR,
	RVNET_F_NETDEV_QUEUE_STATE,
	RVNET_F_NETDEV_QUEUE_DQL,
	RVNET_F_NETDEV_QUEUE_QDISC,
	RVNET_F_QDISC_ENQUEUE,
	RVNET_F_DQL_NUM_QUEUED,
	RVNET_F_DQL_NUM_COMPLETED,
	RVNET_F_SK_BUFF_LEN,
	RVNET_F_SK_BUFF_QUEUE_MAPPING,
	RVNET_F_SK_BUFF_CB,
	RVNET_F_PTR_RING_PRODUCER,
	RVNET_F_PTR_RING_CONSUMER_HEAD,
	RVNET_F_PTR_RING_CONSUMER_TAIL,
	RVNET_F_PTR_RING_SIZE,
	RVNET_F_PTR_RING_BATCH,
	RVNET_F_PTR_RING_QUEUE,
	RVNET_F_RTABLE_RT_TYPE,
	RVNET_F_RTABLE_RT_GW_FAMILY,
	RVNET_F_RT6_INFO_RT6I_FLAGS,
	RVNET_F_RT6_INFO_RT6I_GATEWAY,
	RVNET_F_FIB6_INFO_FIB6_TYPE,
	RVNET_F_NEIGHBOUR_NUD_STATE,
	RVNET_F_COUNT,
};

/* Sizes as the compiled shim object sees them (load-time check). */
size_t rvnet_sizeof_net_device(void);
size_t rvnet_sizeof_sk_buff(void);
size_t rvnet_sizeof_napi_struct(void);
size_t rvnet_sizeof_ptr_ring(void);
size_t rvnet_netdev_priv_offset(void);
size_t rvnet_sizeof_netdev_queue(void);
size_t rvnet_offsetof_field(unsigned int id);

/* linux/netdevice.h */
bool rvnet_netif_carrier_ok(const struct net_device *dev);
void rvnet_netif_tx_start_all_queues(struct net_device *dev);
void rvnet_netif_tx_stop_queue(struct netdev_queue *txq);
void rvnet_netif_tx_start_queue(struct netdev_queue *txq);
bool rvnet_netdev_tx_sent_queue_more(struct netdev_queue *txq,
				     unsigned int bytes);
void rvnet_netdev_tx_completed_wake(struct netdev_queue *txq);
void rvnet_netdev_tx_reset_queue(struct netdev_queue *txq);
void rvnet_netif_tx_lock_bh(struct netdev_queue *txq);
void rvnet_netif_tx_unlock_bh(struct netdev_queue *txq);
struct net_device *rvnet_netdev_notifier_info_to_dev(void *ptr);
bool rvnet_dev_reg_state_registered(const struct net_device *dev);
void rvnet_netif_napi_add(struct net_device *dev, struct napi_struct *napi,
			  int (*poll)(struct napi_struct *, int));
struct net *rvnet_dev_net(const struct net_device *dev);
unsigned long rvnet_netdev_priv_flags(const struct net_device *dev);
void rvnet_netdev_set_priv_flags(struct net_device *dev, unsigned long flags);

/* linux/etherdevice.h */
void rvnet_eth_hw_addr_random(struct net_device *dev);
bool rvnet_is_valid_ether_addr(const u8 *addr);

/* linux/skbuff.h */
void rvnet_skb_tx_timestamp(struct sk_buff *skb);
void rvnet_kfree_skb_reason(struct sk_buff *skb, enum skb_drop_reason reason);
void rvnet_warn_implicit_skb_drop(void);
void rvnet_consume_skb(struct sk_buff *skb);
struct sk_buff *rvnet_skb_next(const struct sk_buff *skb);
void rvnet_skb_set_next(struct sk_buff *skb, struct sk_buff *next);

/* linux/ptr_ring.h */
int rvnet_ptr_ring_init(struct ptr_ring *r, int size, gfp_t gfp);
void rvnet_ptr_ring_cleanup(struct ptr_ring *r, void (*destroy)(void *));
int rvnet_ptr_ring_produce(struct ptr_ring *r, void *ptr);
bool rvnet_ptr_ring_full_bh(struct ptr_ring *r);
void rvnet_ptr_ring_producer_lock(struct ptr_ring *r);
void rvnet_ptr_ring_producer_unlock(struct ptr_ring *r);
int rvnet_ptr_ring_resize(struct ptr_ring *r, int size, gfp_t gfp,
			  void (*destroy)(void *));

/* linux/rcupdate.h */
void rvnet_rcu_read_lock(void);
void rvnet_rcu_read_unlock(void);
unsigned long rvnet_get_state_synchronize_rcu(void);
bool rvnet_poll_state_synchronize_rcu(unsigned long cookie);

/* linux/bottom_half.h */
void rvnet_local_bh_disable(void);
void rvnet_local_bh_enable(void);

/* net/net_namespace.h */
bool rvnet_net_eq(const struct net *a, const struct net *b);
void rvnet_put_net(struct net *net);
struct net *rvnet_maybe_get_net(struct net *net);

/* linux/timer.h, linux/skbuff.h */
void rvnet_timer_setup(struct timer_list *timer,
		       void (*fn)(struct timer_list *timer));
void rvnet_mod_timer_in(struct timer_list *timer, unsigned long delay);
unsigned int rvnet_skb_tailroom(const struct sk_buff *skb);
unsigned char *rvnet_skb_tail_room(struct sk_buff *skb, unsigned int *room);
void rvnet_skb_put_written(struct sk_buff *skb, unsigned int len);

/* net/netlink.h */
void *rvnet_nla_data(const struct nlattr *nla);
int rvnet_nla_len(const struct nlattr *nla);
int rvnet_nla_put_u8(struct sk_buff *skb, int type, u8 value);
int rvnet_nla_put_u16(struct sk_buff *skb, int type, u16 value);
int rvnet_nla_put_u32(struct sk_buff *skb, int type, u32 value);
int rvnet_nla_put_uint(struct sk_buff *skb, int type, u64 value);
int rvnet_nla_put_flag(struct sk_buff *skb, int type);
struct nlattr *rvnet_nla_nest_start(struct sk_buff *skb, int type);
int rvnet_nla_nest_end(struct sk_buff *skb, struct nlattr *start);
void rvnet_nla_nest_cancel(struct sk_buff *skb, struct nlattr *start);
void rvnet_nlmsg_free(struct sk_buff *skb);

/* net/genetlink.h */
struct sk_buff *rvnet_genlmsg_new(size_t payload, gfp_t flags);
void *rvnet_genlmsg_iput(struct sk_buff *skb, const struct genl_info *info);
void rvnet_genlmsg_end(struct sk_buff *skb, void *hdr);
void rvnet_genlmsg_cancel(struct sk_buff *skb, void *hdr);
int rvnet_genlmsg_reply(struct sk_buff *skb, struct genl_info *info);
struct net *rvnet_genl_info_net(const struct genl_info *info);
const struct genl_info *rvnet_genl_info_dump(struct netlink_callback *cb);
struct net *rvnet_sock_net_skb(const struct sk_buff *skb);

/* linux/netdevice.h (device iteration, root qdisc) */
struct net_device *rvnet_netdev_find_from(struct net *net, unsigned long *index);
const char *rvnet_dev_root_qdisc_kind(const struct net_device *dev);
unsigned long rvnet_jiffies(void);

/* net/route.h, net/ip_fib.h */
int rvnet_fib_lookup(struct net *net, struct flowi4 *flp, struct fib_result *res,
		     unsigned int flags);
struct rtable *rvnet_ip_route_output_key(struct net *net, struct flowi4 *flp);
void rvnet_ip_rt_put(struct rtable *rt);
u32 rvnet_dst_mtu(const struct dst_entry *dst);

/* The input route of a query with an input device, as inet_rtm_getroute() */
struct rvnet_input_route {
	int dst_error;		/* negative errno of a rejecting route, or 0 */
	u8 type;		/* RTN_* of the route built */
	u8 uses_gateway;
	u8 gw_family;
	__be32 gw4;
	struct in6_addr gw6;
	const struct net_device *dev;	/* valid in the caller's RCU section */
	u32 mtu;
};

int rvnet_ip_route_input(struct net_device *dev, __be32 dst, __be32 src,
			 u8 tos, u32 mark, u8 proto, __be16 sport, __be16 dport,
			 struct rvnet_input_route *out);
u32 rvnet_sock_net_uid_none(const struct net *net);
unsigned int rvnet_fib_info_num_path(const struct fib_info *fi);
struct fib_nh_common *rvnet_fib_info_nhc(struct fib_info *fi, int nhsel);
unsigned int rvnet_fib6_num_path(const struct fib6_info *f6i);
struct fib_nh_common *rvnet_fib6_nhc(struct fib6_info *f6i, int sel);

/* linux/cred.h, linux/uidgid.h */
u32 rvnet_current_kuid(void);
u32 rvnet_make_kuid_current_ns(u32 uid);

/* net/ipv6.h */
bool rvnet_ipv6_mod_enabled(void);

/* net/ip6_route.h */
struct dst_entry *rvnet_ip6_route_output(struct net *net, struct flowi6 *fl6);
struct dst_entry *rvnet_ip6_route_input_lookup(struct net *net, struct net_device *dev,
					       struct flowi6 *fl6, bool has_saddr);
struct fib6_info *rvnet_rt6_from(struct rt6_info *rt);
int rvnet_ip6_route_get_saddr(struct net *net, struct fib6_info *f6i,
			      const struct in6_addr *daddr, unsigned int prefs,
			      struct in6_addr *saddr);

/* net/neighbour.h */
void rvnet_neigh_release(struct neighbour *neigh);
int rvnet_neigh_event_send(struct neighbour *neigh);
void rvnet_neigh_ha_snapshot(char *dst, const struct neighbour *n,
			     const struct net_device *dev);

/* Decision observation (sampled packets; any context, BH included) */
void rvnet_spin_lock_init(spinlock_t *lock);
void rvnet_spin_lock_bh(spinlock_t *lock);
void rvnet_spin_unlock_bh(spinlock_t *lock);
u64 rvnet_ktime_get_ns(void);
unsigned int rvnet_num_possible_cpus(void);
const u8 *rvnet_skb_frame(const struct sk_buff *skb, unsigned int *len);
struct dst_entry *rvnet_skb_dst(const struct sk_buff *skb);
u32 rvnet_skb_mark(const struct sk_buff *skb);
u32 rvnet_skb_sk_uid(const struct sk_buff *skb);
int rvnet_skb_sk_bound_dev_if(const struct sk_buff *skb);
u16 rvnet_dst_family(const struct dst_entry *dst);
const char *rvnet_txq_qdisc_kind(struct netdev_queue *txq);
unsigned int rvnet_txq_bql_inflight(const struct netdev_queue *txq);
struct neighbour *rvnet_ipv4_neigh_lookup_noref(struct net_device *dev, u32 key);
struct neighbour *rvnet_ipv6_neigh_lookup_noref(struct net_device *dev, const void *key);
bool rvnet_genl_has_listeners(const struct genl_family *family, struct net *net,
			      unsigned int group);
void *rvnet_genlmsg_put_ntf(struct sk_buff *skb, const struct genl_family *family,
			    u8 cmd);
int rvnet_genlmsg_multicast_netns(const struct genl_family *family,
				  struct net *net, struct sk_buff *skb,
				  unsigned int group);
void *rvnet_genl_dump_attr(struct netlink_callback *cb, int type, int *len);

/* linux/netdevice.h, linux/bpf.h, linux/filter.h: XDP */
int rvnet_netdev_bpf_command(const struct netdev_bpf *bpf);
struct bpf_prog *rvnet_netdev_bpf_prog(const struct netdev_bpf *bpf);
struct netlink_ext_ack *rvnet_netdev_bpf_extack(const struct netdev_bpf *bpf);
bool rvnet_bpf_prog_xdp_has_frags(const struct bpf_prog *prog);
unsigned int rvnet_skb_with_overhead(unsigned int size);
void rvnet_xdp_set_features(struct net_device *dev, bool native);
unsigned int rvnet_xdp_frame_len(const struct xdp_frame *frame);
unsigned int rvnet_raw_smp_processor_id(void);
void rvnet_xdp_poll_begin(void);
void rvnet_xdp_poll_end(bool redirected);

/* Native XDP of one rx queue (rvnet_shim.c): what a program run did. */
enum rvnet_xdp_verdict {
	RVNET_XDP_V_PASS,
	RVNET_XDP_V_PASS_ERR,
	RVNET_XDP_V_DROP,
	RVNET_XDP_V_ABORTED,
	RVNET_XDP_V_NOMEM,
	RVNET_XDP_V_TX,
	RVNET_XDP_V_TX_ERR,
	RVNET_XDP_V_REDIRECT,
	RVNET_XDP_V_REDIRECT_ERR,
};

struct rvnet_xdp_rxq;
struct rvnet_xdp_rxq *rvnet_xdp_rxq_create(struct net_device *dev, u32 index,
					   const struct napi_struct *napi,
					   u32 pool_size, int *err);
void rvnet_xdp_rxq_destroy(struct rvnet_xdp_rxq *q);
int rvnet_xdp_run_skb(struct rvnet_xdp_rxq *q, struct bpf_prog *prog,
		      struct sk_buff **pskb, struct xdp_frame **tx);
int rvnet_xdp_run_frame(struct rvnet_xdp_rxq *q, struct bpf_prog *prog,
			struct xdp_frame **pframe);

#endif /* RVNET_SHIM_H */
