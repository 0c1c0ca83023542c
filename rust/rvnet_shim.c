// SPDX-License-Identifier: GPL-2.0
/*
 * rvnet C shim: one-line out-of-line wrappers around static inline kernel
 * helpers, grouped by the header they come from. No logic lives here.
 */
#include <linux/bpf_trace.h>
#include <linux/skbuff_ref.h>
#include <net/page_pool/types.h>
#include "rvnet_shim.h"

size_t rvnet_sizeof_net_device(void) { return sizeof(struct net_device); }
size_t rvnet_sizeof_sk_buff(void) { return sizeof(struct sk_buff); }
size_t rvnet_sizeof_napi_struct(void) { return sizeof(struct napi_struct); }
size_t rvnet_sizeof_ptr_ring(void) { return sizeof(struct ptr_ring); }
size_t rvnet_netdev_priv_offset(void) { return ALIGN(sizeof(struct net_device), NETDEV_ALIGN); }
size_t rvnet_sizeof_netdev_queue(void) { return sizeof(struct netdev_queue); }

static const size_t rvnet_field_offsets[RVNET_F_COUNT] = {
	[RVNET_F_NET_DEVICE_FLAGS] = offsetof(struct net_device, flags),
	[RVNET_F_NET_DEVICE_STATE] = offsetof(struct net_device, state),
	[RVNET_F_NET_DEVICE_IFINDEX] = offsetof(struct net_device, ifindex),
	[RVNET_F_NET_DEVICE_TX] = offsetof(struct net_device, _tx),
	[RVNET_F_NET_DEVICE_NUM_TX_QUEUES] = offsetof(struct net_device, num_tx_queues),
	[RVNET_F_NET_DEVICE_REAL_NUM_TX_QUEUES] = offsetof(struct net_device, real_num_tx_queues),
	[RVNET_F_NET_DEVICE_NUM_RX_QUEUES] = offsetof(struct net_device, num_rx_queues),
	[RVNET_F_NET_DEVICE_REAL_NUM_RX_QUEUES] = offsetof(struct net_device, real_num_rx_queues),
	[RVNET_F_NET_DEVICE_FEATURES] = offsetof(struct net_device, features),
	[RVNET_F_NET_DEVICE_HW_FEATURES] = offsetof(struct net_device, hw_features),
	[RVNET_F_NET_DEVICE_WANTED_FEATURES] = offsetof(struct net_device, wanted_features),
	[RVNET_F_NET_DEVICE_MTU] = offsetof(struct net_device, mtu),
	[RVNET_F_NET_DEVICE_MIN_MTU] = offsetof(struct net_device, min_mtu),
	[RVNET_F_NET_DEVICE_MAX_MTU] = offsetof(struct net_device, max_mtu),
	[RVNET_F_NET_DEVICE_NAME] = offsetof(struct net_device, name),
	[RVNET_F_NET_DEVICE_NETDEV_OPS] = offsetof(struct net_device, netdev_ops),
	[RVNET_F_NET_DEVICE_ETHTOOL_OPS] = offsetof(struct net_device, ethtool_ops),
	[RVNET_F_NET_DEVICE_STAT_OPS] = offsetof(struct net_device, stat_ops),
	[RVNET_F_NET_DEVICE_RTNL_LINK_OPS] = offsetof(struct net_device, rtnl_link_ops),
	[RVNET_F_NET_DEVICE_PRIV_DESTRUCTOR] = offsetof(struct net_device, priv_destructor),
	[RVNET_F_NETDEV_QUEUE_STATE] = offsetof(struct netdev_queue, state),
	[RVNET_F_NETDEV_QUEUE_DQL] = offsetof(struct netdev_queue, dql),
	[RVNET_F_NETDEV_QUEUE_QDISC] = offsetof(struct netdev_queue, qdisc),
	[RVNET_F_QDISC_ENQUEUE] = offsetof(struct Qdisc, enqueue),
	[RVNET_F_DQL_NUM_QUEUED] = offsetof(struct dql, num_queued),
	[RVNET_F_DQL_NUM_COMPLETED] = offsetof(struct dql, num_completed),
	[RVNET_F_SK_BUFF_LEN] = offsetof(struct sk_buff, len),
	[RVNET_F_SK_BUFF_QUEUE_MAPPING] = offsetof(struct sk_buff, queue_mapping),
	[RVNET_F_SK_BUFF_CB] = offsetof(struct sk_buff, cb),
	[RVNET_F_PTR_RING_PRODUCER] = offsetof(struct ptr_ring, producer),
	[RVNET_F_PTR_RING_CONSUMER_HEAD] = offsetof(struct ptr_ring, consumer_head),
	[RVNET_F_PTR_RING_CONSUMER_TAIL] = offsetof(struct ptr_ring, consumer_tail),
	[RVNET_F_PTR_RING_SIZE] = offsetof(struct ptr_ring, size),
	[RVNET_F_PTR_RING_BATCH] = offsetof(struct ptr_ring, batch),
	[RVNET_F_PTR_RING_QUEUE] = offsetof(struct ptr_ring, queue),
	[RVNET_F_RTABLE_RT_TYPE] = offsetof(struct rtable, rt_type),
	[RVNET_F_RTABLE_RT_GW_FAMILY] = offsetof(struct rtable, rt_gw_family),
	[RVNET_F_RT6_INFO_RT6I_FLAGS] = offsetof(struct rt6_info, rt6i_flags),
	[RVNET_F_RT6_INFO_RT6I_GATEWAY] = offsetof(struct rt6_info, rt6i_gateway),
	[RVNET_F_FIB6_INFO_FIB6_TYPE] = offsetof(struct fib6_info, fib6_type),
	[RVNET_F_NEIGHBOUR_NUD_STATE] = offsetof(struct neighbour, nud_state),
};

size_t rvnet_offsetof_field(unsigned int id)
{
	return id < RVNET_F_COUNT ? rvnet_field_offsets[id] : SIZE_MAX;
}

/* linux/netdevice.h */
bool rvnet_netif_carrier_ok(const struct net_device *dev)
{
	return netif_carrier_ok(dev);
}

void rvnet_netif_tx_start_all_queues(struct net_device *dev)
{
	netif_tx_start_all_queues(dev);
}

void rvnet_netif_tx_stop_queue(struct netdev_queue *txq)
{
	netif_tx_stop_queue(txq);
}

void rvnet_netif_tx_start_queue(struct netdev_queue *txq)
{
	netif_tx_start_queue(txq);
}

/* __netdev_tx_sent_queue() with this transmit's netdev_xmit_more(). */
bool rvnet_netdev_tx_sent_queue_more(struct netdev_queue *txq,
				     unsigned int bytes)
{
	return __netdev_tx_sent_queue(txq, bytes, netdev_xmit_more());
}

/*
 * The second half of netdev_tx_completed_queue(), after each batch; the
 * first, dql_completed(), is called from Rust (BqlCompleter::completed;
 * driver::rx::Completion says how the driver batches).
 */
void rvnet_netdev_tx_completed_wake(struct netdev_queue *txq)
{
#ifdef CONFIG_BQL
	/* Pairs with netdev_tx_sent_queue(), as in netdev_tx_completed_queue(). */
	smp_mb();
	if (unlikely(dql_avail(&txq->dql) < 0))
		return;
	if (test_and_clear_bit(__QUEUE_STATE_STACK_XOFF, &txq->state))
		netif_schedule_queue(txq);
#endif
}

void rvnet_netdev_tx_reset_queue(struct netdev_queue *txq)
{
	netdev_tx_reset_queue(txq);
}

void rvnet_netif_tx_lock_bh(struct netdev_queue *txq)
{
	__netif_tx_lock_bh(txq);
}

void rvnet_netif_tx_unlock_bh(struct netdev_queue *txq)
{
	__netif_tx_unlock_bh(txq);
}

struct net_device *rvnet_netdev_notifier_info_to_dev(void *ptr)
{
	return netdev_notifier_info_to_dev(ptr);
}

bool rvnet_dev_reg_state_registered(const struct net_device *dev)
{
	return dev->reg_state == NETREG_REGISTERED;
}

void rvnet_netif_napi_add(struct net_device *dev, struct napi_struct *napi,
			  int (*poll)(struct napi_struct *, int))
{
	netif_napi_add(dev, napi, poll);
}

struct net *rvnet_dev_net(const struct net_device *dev)
{
	return dev_net(dev);
}

unsigned long rvnet_netdev_priv_flags(const struct net_device *dev)
{
	return dev->priv_flags;
}

void rvnet_netdev_set_priv_flags(struct net_device *dev, unsigned long flags)
{
	dev->priv_flags = flags;
}

/* linux/etherdevice.h */
void rvnet_eth_hw_addr_random(struct net_device *dev)
{
	eth_hw_addr_random(dev);
}

bool rvnet_is_valid_ether_addr(const u8 *addr)
{
	return is_valid_ether_addr(addr);
}

/* linux/skbuff.h */
void rvnet_skb_tx_timestamp(struct sk_buff *skb)
{
	skb_tx_timestamp(skb);
}

void rvnet_kfree_skb_reason(struct sk_buff *skb, enum skb_drop_reason reason)
{
	kfree_skb_reason(skb, reason);
}

void rvnet_consume_skb(struct sk_buff *skb)
{
	consume_skb(skb);
}

struct sk_buff *rvnet_skb_next(const struct sk_buff *skb)
{
	return skb->next;
}

void rvnet_skb_set_next(struct sk_buff *skb, struct sk_buff *next)
{
	skb->next = next;
}

void rvnet_warn_implicit_skb_drop(void)
{
	WARN_ONCE(1, "rvnet: sk_buff freed implicitly (no drop reason)\n");
}

/* linux/ptr_ring.h */
int rvnet_ptr_ring_init(struct ptr_ring *r, int size, gfp_t gfp)
{
	return ptr_ring_init(r, size, gfp);
}

void rvnet_ptr_ring_cleanup(struct ptr_ring *r, void (*destroy)(void *))
{
	ptr_ring_cleanup(r, destroy);
}

int rvnet_ptr_ring_produce(struct ptr_ring *r, void *ptr)
{
	return ptr_ring_produce(r, ptr);
}

bool rvnet_ptr_ring_full_bh(struct ptr_ring *r)
{
	return ptr_ring_full_bh(r);
}

void rvnet_ptr_ring_producer_lock(struct ptr_ring *r)
{
	spin_lock(&r->producer_lock);
}

void rvnet_ptr_ring_producer_unlock(struct ptr_ring *r)
{
	spin_unlock(&r->producer_lock);
}

int rvnet_ptr_ring_resize(struct ptr_ring *r, int size, gfp_t gfp,
			  void (*destroy)(void *))
{
	return ptr_ring_resize(r, size, gfp, destroy);
}

/* linux/rcupdate.h */
void rvnet_rcu_read_lock(void)
{
	rcu_read_lock();
}

void rvnet_rcu_read_unlock(void)
{
	rcu_read_unlock();
}

unsigned long rvnet_get_state_synchronize_rcu(void)
{
	return get_state_synchronize_rcu();
}

bool rvnet_poll_state_synchronize_rcu(unsigned long cookie)
{
	return poll_state_synchronize_rcu(cookie);
}

/* linux/bottom_half.h */
void rvnet_local_bh_disable(void)
{
	local_bh_disable();
}

void rvnet_local_bh_enable(void)
{
	local_bh_enable();
}

/* net/net_namespace.h */
bool rvnet_net_eq(const struct net *a, const struct net *b)
{
	return net_eq(a, b);
}

void rvnet_put_net(struct net *net)
{
	put_net(net);
}

struct net *rvnet_maybe_get_net(struct net *net)
{
	return maybe_get_net(net);
}

void rvnet_timer_setup(struct timer_list *timer,
		       void (*fn)(struct timer_list *timer))
{
	timer_setup(timer, fn, 0);
}

void rvnet_mod_timer_in(struct timer_list *timer, unsigned long delay)
{
	mod_timer(timer, jiffies + delay);
}

unsigned int rvnet_skb_tailroom(const struct sk_buff *skb)
{
	return skb_tailroom(skb);
}

/* The tail of a linear skb under construction and the room after it. */
unsigned char *rvnet_skb_tail_room(struct sk_buff *skb, unsigned int *room)
{
	*room = skb_tailroom(skb);
	return skb_tail_pointer(skb);
}

/* Appends the `len` bytes already written after the tail (with skb_put()'s
 * checks).
 */
void rvnet_skb_put_written(struct sk_buff *skb, unsigned int len)
{
	skb_put(skb, len);
}

/* net/netlink.h */
void *rvnet_nla_data(const struct nlattr *nla)
{
	return nla_data(nla);
}

int rvnet_nla_len(const struct nlattr *nla)
{
	return nla_len(nla);
}

int rvnet_nla_put_u8(struct sk_buff *skb, int type, u8 value)
{
	return nla_put_u8(skb, type, value);
}

int rvnet_nla_put_u16(struct sk_buff *skb, int type, u16 value)
{
	return nla_put_u16(skb, type, value);
}

int rvnet_nla_put_u32(struct sk_buff *skb, int type, u32 value)
{
	return nla_put_u32(skb, type, value);
}

int rvnet_nla_put_uint(struct sk_buff *skb, int type, u64 value)
{
	return nla_put_uint(skb, type, value);
}

int rvnet_nla_put_flag(struct sk_buff *skb, int type)
{
	return nla_put_flag(skb, type);
}

struct nlattr *rvnet_nla_nest_start(struct sk_buff *skb, int type)
{
	return nla_nest_start(skb, type);
}

int rvnet_nla_nest_end(struct sk_buff *skb, struct nlattr *start)
{
	return nla_nest_end(skb, start);
}

void rvnet_nla_nest_cancel(struct sk_buff *skb, struct nlattr *start)
{
	nla_nest_cancel(skb, start);
}

void rvnet_nlmsg_free(struct sk_buff *skb)
{
	nlmsg_free(skb);
}

/* net/genetlink.h */
struct sk_buff *rvnet_genlmsg_new(size_t payload, gfp_t flags)
{
	return genlmsg_new(payload, flags);
}

void *rvnet_genlmsg_iput(struct sk_buff *skb, const struct genl_info *info)
{
	return genlmsg_iput(skb, info);
}

void rvnet_genlmsg_end(struct sk_buff *skb, void *hdr)
{
	genlmsg_end(skb, hdr);
}

void rvnet_genlmsg_cancel(struct sk_buff *skb, void *hdr)
{
	genlmsg_cancel(skb, hdr);
}

int rvnet_genlmsg_reply(struct sk_buff *skb, struct genl_info *info)
{
	return genlmsg_reply(skb, info);
}

struct net *rvnet_genl_info_net(const struct genl_info *info)
{
	return genl_info_net(info);
}

const struct genl_info *rvnet_genl_info_dump(struct netlink_callback *cb)
{
	return genl_info_dump(cb);
}

struct net *rvnet_sock_net_skb(const struct sk_buff *skb)
{
	return sock_net(skb->sk);
}

/* linux/netdevice.h (device iteration, root qdisc) */
struct net_device *rvnet_netdev_find_from(struct net *net, unsigned long *index)
{
	return xa_find(&net->dev_by_index, index, ULONG_MAX, XA_PRESENT);
}

const char *rvnet_dev_root_qdisc_kind(const struct net_device *dev)
{
	return rcu_dereference(dev->qdisc)->ops->id;
}

unsigned long rvnet_jiffies(void)
{
	return jiffies;
}

/* net/route.h, net/ip_fib.h */
int rvnet_fib_lookup(struct net *net, struct flowi4 *flp, struct fib_result *res,
		     unsigned int flags)
{
	return fib_lookup(net, flp, res, flags);
}

struct rtable *rvnet_ip_route_output_key(struct net *net, struct flowi4 *flp)
{
	return ip_route_output_key(net, flp);
}

void rvnet_ip_rt_put(struct rtable *rt)
{
	ip_rt_put(rt);
}

u32 rvnet_dst_mtu(const struct dst_entry *dst)
{
	return dst_mtu(dst);
}

/*
 * The route ip_route_input_noref() builds for a packet from @src to @dst
 * received on @dev, asked as inet_rtm_getroute() asks it: a dummy packet
 * with the IP header and, for TCP and UDP, the ports (so that rules on
 * ports and the L4 multipath hash see them). Forwarding, rp_filter and the
 * martian checks apply. Returns what ip_route_input_noref() returns (0 or a
 * negative errno: a martian, rp_filter); with 0, fills @out (dst_error:
 * a route that rejects, e.g. unreachable or forwarding off). The caller
 * holds the RCU read lock (the noref dst and out->dev are valid in it).
 */
int rvnet_ip_route_input(struct net_device *dev, __be32 dst, __be32 src,
			 u8 tos, u32 mark, u8 proto, __be16 sport, __be16 dport,
			 struct rvnet_input_route *out)
{
	struct sk_buff *skb;
	struct rtable *rt;
	struct iphdr *iph;
	int err;

	skb = alloc_skb(sizeof(*iph) + sizeof(struct tcphdr), GFP_ATOMIC);
	if (!skb)
		return -ENOBUFS;
	skb_reset_mac_header(skb);
	skb_reset_network_header(skb);
	skb->protocol = htons(ETH_P_IP);
	iph = skb_put_zero(skb, sizeof(*iph));
	iph->protocol = proto;
	iph->saddr = src;
	iph->daddr = dst;
	iph->version = 4;
	iph->ihl = 5;
	skb_set_transport_header(skb, skb->len);
	if (proto == IPPROTO_UDP) {
		struct udphdr *uh = skb_put_zero(skb, sizeof(*uh));

		uh->source = sport;
		uh->dest = dport;
		uh->len = htons(sizeof(*uh));
	} else if (proto == IPPROTO_TCP) {
		struct tcphdr *th = skb_put_zero(skb, sizeof(*th));

		th->source = sport;
		th->dest = dport;
		th->doff = sizeof(*th) / 4;
		th->rst = 1;
	}
	skb->dev = dev;
	skb->mark = mark;
	err = ip_route_input_noref(skb, dst, src, tos, dev);
	if (!err) {
		rt = skb_rtable(skb);
		out->dst_error = -rt->dst.error;
		out->type = rt->rt_type;
		out->uses_gateway = rt->rt_uses_gateway;
		out->gw_family = rt->rt_gw_family;
		out->gw4 = rt->rt_gw_family == AF_INET ? rt->rt_gw4 : 0;
		if (rt->rt_gw_family == AF_INET6)
			out->gw6 = rt->rt_gw6;
		out->dev = rt->dst.dev;
		out->mtu = dst_mtu(&rt->dst);
	}
	consume_skb(skb);
	return err;
}

/* net/nexthop.h: the paths of a FIB entry (nexthop objects included) */
unsigned int rvnet_fib_info_num_path(const struct fib_info *fi)
{
	return fib_info_num_path(fi);
}

struct fib_nh_common *rvnet_fib_info_nhc(struct fib_info *fi, int nhsel)
{
	return fib_info_nhc(fi, nhsel);
}

/* Paths of an IPv6 FIB entry as rt6_fill_node() dumps them: a nexthop
 * object's, else the entry's own and its ECMP siblings'. Under RCU.
 */
unsigned int rvnet_fib6_num_path(const struct fib6_info *f6i)
{
	if (f6i->nh)
		return nexthop_num_path(f6i->nh);
	return READ_ONCE(f6i->fib6_nsiblings) + 1;
}

struct fib_nh_common *rvnet_fib6_nhc(struct fib6_info *f6i, int sel)
{
	struct fib6_info *sib;

	if (f6i->nh)
		return nexthop_fib_nhc(f6i->nh, sel);
	if (sel == 0)
		return &f6i->fib6_nh->nh_common;
	list_for_each_entry_rcu(sib, &f6i->fib6_siblings, fib6_siblings)
		if (--sel == 0)
			return &sib->fib6_nh->nh_common;
	return NULL;
}

/* The uid of a lookup without a socket (sock_net_uid(net, NULL)) */
u32 rvnet_sock_net_uid_none(const struct net *net)
{
	return __kuid_val(sock_net_uid(net, NULL));
}

/* linux/cred.h, linux/uidgid.h */
u32 rvnet_current_kuid(void)
{
	return __kuid_val(current_uid());
}

/* A uid as the caller names it, in its user namespace (INVALID_UID if unmapped). */
u32 rvnet_make_kuid_current_ns(u32 uid)
{
	return __kuid_val(make_kuid(current_user_ns(), uid));
}

/* net/ipv6.h */
bool rvnet_ipv6_mod_enabled(void)
{
	return ipv6_mod_enabled();
}

/* net/ip6_route.h */
struct dst_entry *rvnet_ip6_route_output(struct net *net, struct flowi6 *fl6)
{
	return ip6_route_output(net, NULL, fl6);
}

struct dst_entry *rvnet_ip6_route_input_lookup(struct net *net, struct net_device *dev,
					       struct flowi6 *fl6, bool has_saddr)
{
	return ip6_route_input_lookup(net, dev, fl6, NULL,
				      has_saddr ? RT6_LOOKUP_F_HAS_SADDR : 0);
}

struct fib6_info *rvnet_rt6_from(struct rt6_info *rt)
{
	return rcu_dereference(rt->from);
}

int rvnet_ip6_route_get_saddr(struct net *net, struct fib6_info *f6i,
			      const struct in6_addr *daddr, unsigned int prefs,
			      struct in6_addr *saddr)
{
	return ip6_route_get_saddr(net, f6i, daddr, prefs, 0, saddr);
}

/* net/neighbour.h */
void rvnet_neigh_release(struct neighbour *neigh)
{
	neigh_release(neigh);
}

int rvnet_neigh_event_send(struct neighbour *neigh)
{
	return neigh_event_send(neigh, NULL);
}

void rvnet_neigh_ha_snapshot(char *dst, const struct neighbour *n,
			     const struct net_device *dev)
{
	neigh_ha_snapshot(dst, n, dev);
}

/* Decision observation */
void rvnet_spin_lock_init(spinlock_t *lock)
{
	spin_lock_init(lock);
}

void rvnet_spin_lock_bh(spinlock_t *lock)
{
	spin_lock_bh(lock);
}

void rvnet_spin_unlock_bh(spinlock_t *lock)
{
	spin_unlock_bh(lock);
}

u64 rvnet_ktime_get_ns(void)
{
	return ktime_get_ns();
}

unsigned int rvnet_num_possible_cpus(void)
{
	return num_possible_cpus();
}

/* The frame from the MAC header to the end of the linear data. */
const u8 *rvnet_skb_frame(const struct sk_buff *skb, unsigned int *len)
{
	const u8 *mac;

	*len = 0;
	if (!skb_mac_header_was_set(skb))
		return NULL;
	mac = skb_mac_header(skb);
	if (mac > skb_tail_pointer(skb))
		return NULL;
	*len = skb_tail_pointer(skb) - mac;
	return mac;
}

struct dst_entry *rvnet_skb_dst(const struct sk_buff *skb)
{
	return skb_dst(skb);
}

u32 rvnet_skb_mark(const struct sk_buff *skb)
{
	return skb->mark;
}

/* The uid a packet was routed for: its full socket's, else the netns root's. */
u32 rvnet_skb_sk_uid(const struct sk_buff *skb)
{
	const struct sock *sk = skb->sk && sk_fullsock(skb->sk) ? skb->sk : NULL;

	return __kuid_val(sock_net_uid(dev_net(skb->dev), sk));
}

int rvnet_skb_sk_bound_dev_if(const struct sk_buff *skb)
{
	return skb->sk && sk_fullsock(skb->sk) ? READ_ONCE(skb->sk->sk_bound_dev_if) : 0;
}

u16 rvnet_dst_family(const struct dst_entry *dst)
{
	return dst->ops->family;
}

const char *rvnet_txq_qdisc_kind(struct netdev_queue *txq)
{
	/* Never NULL: an unconfigured queue points at noop_qdisc. */
	return rcu_dereference_bh(txq->qdisc)->ops->id;
}

unsigned int rvnet_txq_bql_inflight(const struct netdev_queue *txq)
{
#ifdef CONFIG_BQL
	return READ_ONCE(txq->dql.num_queued) - READ_ONCE(txq->dql.num_completed);
#else
	return 0;
#endif
}

struct neighbour *rvnet_ipv4_neigh_lookup_noref(struct net_device *dev, u32 key)
{
	return __ipv4_neigh_lookup_noref(dev, key);
}

struct neighbour *rvnet_ipv6_neigh_lookup_noref(struct net_device *dev, const void *key)
{
	return __ipv6_neigh_lookup_noref(dev, key);
}

bool rvnet_genl_has_listeners(const struct genl_family *family, struct net *net,
			      unsigned int group)
{
	return genl_has_listeners(family, net, group);
}

void *rvnet_genlmsg_put_ntf(struct sk_buff *skb, const struct genl_family *family,
			    u8 cmd)
{
	return genlmsg_put(skb, 0, 0, family, 0, cmd);
}

int rvnet_genlmsg_multicast_netns(const struct genl_family *family,
				  struct net *net, struct sk_buff *skb,
				  unsigned int group)
{
	return genlmsg_multicast_netns(family, net, skb, 0, group, GFP_ATOMIC);
}

/* An attribute of a dump request, parsed by the core against the op's policy. */
void *rvnet_genl_dump_attr(struct netlink_callback *cb, int type, int *len)
{
	const struct genl_dumpit_info *di = genl_dumpit_info(cb);
	struct nlattr *a;

	*len = 0;
	if (!di->info.attrs || type < 0 || type > di->op.maxattr)
		return NULL;
	a = di->info.attrs[type];
	if (!a)
		return NULL;
	*len = nla_len(a);
	return nla_data(a);
}

/* linux/netdevice.h, linux/bpf.h, linux/filter.h: XDP */
int rvnet_netdev_bpf_command(const struct netdev_bpf *bpf)
{
	return bpf->command;
}

struct bpf_prog *rvnet_netdev_bpf_prog(const struct netdev_bpf *bpf)
{
	return bpf->prog;
}

struct netlink_ext_ack *rvnet_netdev_bpf_extack(const struct netdev_bpf *bpf)
{
	return bpf->extack;
}

bool rvnet_bpf_prog_xdp_has_frags(const struct bpf_prog *prog)
{
	return prog->aux->xdp_has_frags;
}

unsigned int rvnet_skb_with_overhead(unsigned int size)
{
	return SKB_WITH_OVERHEAD(size);
}

void rvnet_xdp_set_features(struct net_device *dev, bool native)
{
	if (native)
		xdp_set_features_flag(dev, NETDEV_XDP_ACT_BASIC |
				      NETDEV_XDP_ACT_REDIRECT |
				      NETDEV_XDP_ACT_RX_SG |
				      NETDEV_XDP_ACT_NDO_XMIT |
				      NETDEV_XDP_ACT_NDO_XMIT_SG);
	else
		xdp_clear_features_flag(dev);
}

unsigned int rvnet_xdp_frame_len(const struct xdp_frame *frame)
{
	return xdp_get_frame_len(frame);
}

unsigned int rvnet_raw_smp_processor_id(void)
{
	return raw_smp_processor_id();
}

void rvnet_xdp_poll_begin(void)
{
	xdp_set_return_frame_no_direct();
}

void rvnet_xdp_poll_end(bool redirected)
{
	if (redirected)
		xdp_do_flush();
	xdp_clear_return_frame_no_direct();
}

/*
 * Native XDP of one rx queue, as drivers/net/veth.c has it: the queue's
 * xdp_rxq_info and the page_pool that sk_buffs are copied into when they
 * cannot be used in place. This is the one place with logic in the shim:
 * the xdp_buff lives on the stack of these functions and every helper they
 * use is a static inline of net/xdp.h and linux/skbuff.h.
 */
struct rvnet_xdp_rxq {
	struct xdp_rxq_info rxq;
	/* The queue's own memory model: rxq.mem is lent to each frame run. */
	struct xdp_mem_info mem;
	struct page_pool *pool;
};

struct rvnet_xdp_rxq *rvnet_xdp_rxq_create(struct net_device *dev, u32 index,
					   const struct napi_struct *napi,
					   u32 pool_size, int *err)
{
	struct page_pool_params pp = {
		.order = 0,
		.pool_size = pool_size,
		.nid = NUMA_NO_NODE,
		.dev = &dev->dev,
	};
	struct rvnet_xdp_rxq *q;

	q = kzalloc(sizeof(*q), GFP_KERNEL);
	if (!q) {
		*err = -ENOMEM;
		return NULL;
	}
	q->pool = page_pool_create(&pp);
	if (IS_ERR(q->pool)) {
		*err = PTR_ERR(q->pool);
		goto err_free;
	}
	*err = xdp_rxq_info_reg(&q->rxq, dev, index, napi->napi_id);
	if (*err)
		goto err_pool;
	*err = xdp_rxq_info_reg_mem_model(&q->rxq, MEM_TYPE_PAGE_SHARED, NULL);
	if (*err)
		goto err_reg;
	q->mem = q->rxq.mem;
	return q;

err_reg:
	xdp_rxq_info_unreg(&q->rxq);
err_pool:
	page_pool_destroy(q->pool);
err_free:
	kfree(q);
	return NULL;
}

void rvnet_xdp_rxq_destroy(struct rvnet_xdp_rxq *q)
{
	/* Never unregister the memory model a frame lent us. */
	q->rxq.mem = q->mem;
	xdp_rxq_info_unreg(&q->rxq);
	page_pool_destroy(q->pool);
	kfree(q);
}

/* veth_xdp_get(): the pages of a buffer outlive the sk_buff they came in. */
static void rvnet_xdp_get(struct xdp_buff *xdp)
{
	struct skb_shared_info *sinfo = xdp_get_shared_info_from_buff(xdp);
	int i;

	get_page(virt_to_page(xdp->data));
	if (likely(!xdp_buff_has_frags(xdp)))
		return;

	for (i = 0; i < sinfo->nr_frags; i++)
		__skb_frag_ref(&sinfo->frags[i]);
}

/*
 * veth_xdp_rcv_skb(): runs @prog on the sk_buff *@pskb received on the
 * queue (MAC header pulled, as after eth_type_trans()), in place when the
 * buffer is linear, private and has XDP_PACKET_HEADROOM, else on a copy in
 * the queue's page_pool pages. NAPI context, RCU read side (@prog).
 *
 * PASS: *@pskb is the packet again (possibly the copy), head, tail, length,
 * protocol and metadata adjusted to what the program left. DROP, ABORTED
 * (traced, as are invalid actions) and NOMEM (no copy could be made):
 * *@pskb is the caller's to free. TX: the packet is *@tx, a frame for the
 * caller to send back. REDIRECT: handed to xdp_do_redirect(); the caller
 * calls xdp_do_flush() before its poll ends. TX_ERR, REDIRECT_ERR: freed.
 */
int rvnet_xdp_run_skb(struct rvnet_xdp_rxq *q, struct bpf_prog *prog,
		      struct sk_buff **pskb, struct xdp_frame **tx)
{
	struct net_device *dev = q->rxq.dev;
	void *orig_data, *orig_data_end;
	struct sk_buff *skb = *pskb;
	struct xdp_buff xdp;
	u32 act, metalen, frame_sz;
	int off;

	*tx = NULL;
	skb_prepare_for_gro(skb);
	__skb_push(skb, skb->data - skb_mac_header(skb));
	if (skb_shared(skb) || skb_head_is_locked(skb) ||
	    skb_is_nonlinear(skb) ||
	    skb_headroom(skb) < XDP_PACKET_HEADROOM) {
		if (skb_pp_cow_data(q->pool, pskb, XDP_PACKET_HEADROOM))
			return RVNET_XDP_V_NOMEM;
		skb = *pskb;
	}

	/* The head always has tailroom for the skb_shared_info. */
	frame_sz = skb_end_pointer(skb) - skb->head;
	frame_sz += SKB_DATA_ALIGN(sizeof(struct skb_shared_info));
	q->rxq.mem = q->mem;
	xdp_init_buff(&xdp, frame_sz, &q->rxq);
	xdp_prepare_buff(&xdp, skb->head, skb_headroom(skb),
			 skb_headlen(skb), true);
	if (skb_shinfo(skb)->nr_frags) {
		skb_shinfo(skb)->xdp_frags_size = skb->data_len;
		xdp_buff_set_frags_flag(&xdp);
	} else {
		xdp_buff_clear_frags_flag(&xdp);
	}
	orig_data = xdp.data;
	orig_data_end = xdp.data_end;

	act = bpf_prog_run_xdp(prog, &xdp);
	switch (act) {
	case XDP_PASS:
		break;
	case XDP_TX:
		rvnet_xdp_get(&xdp);
		consume_skb(skb);
		*pskb = NULL;
		*tx = xdp_convert_buff_to_frame(&xdp);
		if (unlikely(!*tx)) {
			trace_xdp_exception(dev, prog, act);
			xdp_return_buff(&xdp);
			return RVNET_XDP_V_TX_ERR;
		}
		return RVNET_XDP_V_TX;
	case XDP_REDIRECT:
		rvnet_xdp_get(&xdp);
		consume_skb(skb);
		*pskb = NULL;
		if (xdp_do_redirect(dev, &xdp, prog)) {
			xdp_return_buff(&xdp);
			return RVNET_XDP_V_REDIRECT_ERR;
		}
		return RVNET_XDP_V_REDIRECT;
	default:
		bpf_warn_invalid_xdp_action(dev, prog, act);
		fallthrough;
	case XDP_ABORTED:
		trace_xdp_exception(dev, prog, act);
		return RVNET_XDP_V_ABORTED;
	case XDP_DROP:
		return RVNET_XDP_V_DROP;
	}

	/* bpf_xdp_adjust_head() */
	off = orig_data - xdp.data;
	if (off > 0)
		__skb_push(skb, off);
	else if (off < 0)
		__skb_pull(skb, -off);
	skb_reset_mac_header(skb);

	/* Fragments the program changed (bpf_xdp_adjust_tail()). */
	skb->len -= skb->data_len;
	if (xdp_buff_has_frags(&xdp)) {
		skb->data_len = skb_shinfo(skb)->xdp_frags_size;
		skb->len += skb->data_len;
	} else {
		skb->data_len = 0;
	}

	/* The tail of the linear area. */
	off = xdp.data_end - orig_data_end;
	if (off != 0) {
		skb_set_tail_pointer(skb, xdp.data_end - xdp.data);
		skb->len += off;
	}

	skb->protocol = eth_type_trans(skb, dev);
	metalen = xdp.data - xdp.data_meta;
	if (metalen)
		skb_metadata_set(skb, metalen);
	return RVNET_XDP_V_PASS;
}

/*
 * veth_xdp_rcv_one(): runs @prog on the frame *@pframe that ndo_xdp_xmit
 * put in the queue's ring. NAPI context, RCU read side (@prog).
 *
 * PASS: *@pframe is the frame, updated, for the caller to build an sk_buff
 * from. DROP, ABORTED (traced) and PASS_ERR (no room left for the frame's
 * own header): *@pframe is the caller's to free. TX: *@pframe is the frame
 * to send back. REDIRECT: as for sk_buffs. TX_ERR, REDIRECT_ERR: freed.
 */
int rvnet_xdp_run_frame(struct rvnet_xdp_rxq *q, struct bpf_prog *prog,
			struct xdp_frame **pframe)
{
	struct net_device *dev = q->rxq.dev;
	struct xdp_frame *frame = *pframe;
	struct xdp_frame orig_frame;
	struct xdp_buff xdp;
	u32 act;

	xdp_convert_frame_to_buff(frame, &xdp);
	/* The frame's memory is its sender's: lend its model to the buffer. */
	q->rxq.mem = frame->mem;
	xdp.rxq = &q->rxq;

	act = bpf_prog_run_xdp(prog, &xdp);
	switch (act) {
	case XDP_PASS:
		if (xdp_update_frame_from_buff(&xdp, frame))
			return RVNET_XDP_V_PASS_ERR;
		return RVNET_XDP_V_PASS;
	case XDP_TX:
		orig_frame = *frame;
		*pframe = xdp_convert_buff_to_frame(&xdp);
		if (unlikely(!*pframe)) {
			trace_xdp_exception(dev, prog, act);
			xdp_return_frame(&orig_frame);
			return RVNET_XDP_V_TX_ERR;
		}
		return RVNET_XDP_V_TX;
	case XDP_REDIRECT:
		orig_frame = *frame;
		*pframe = NULL;
		if (xdp_do_redirect(dev, &xdp, prog)) {
			xdp_return_frame(&orig_frame);
			return RVNET_XDP_V_REDIRECT_ERR;
		}
		return RVNET_XDP_V_REDIRECT;
	default:
		bpf_warn_invalid_xdp_action(dev, prog, act);
		fallthrough;
	case XDP_ABORTED:
		trace_xdp_exception(dev, prog, act);
		return RVNET_XDP_V_ABORTED;
	case XDP_DROP:
		return RVNET_XDP_V_DROP;
	}
}
