//! Which addresses a probe may connect to. A probed page is hostile: a redirect to
//! `http://127.0.0.1:8080/…` or to a cloud's metadata address would otherwise have Hutong
//! fetch, store and publish an answer meant only for this machine or its network.
//!
//! Every address that the IANA special-purpose registries do not call globally reachable
//! is refused (loopback, private, link-local, unique-local, carrier-grade NAT, unspecified,
//! broadcast, multicast, documentation, benchmarking, reserved …), also when written as
//! an IPv4-mapped, IPv4-compatible, NAT64 or 6to4 IPv6 address, and so are the clouds'
//! metadata addresses and names. The fetcher checks IP-literal URLs itself (they never
//! reach a resolver) and filters what [`GuardedResolver`] answers for names, so the
//! address checked is the address connected to: DNS rebinding cannot get around it.

use std::error::Error as StdError;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::{Host, Url};

type BoxError = Box<dyn StdError + Send + Sync>;

/// Why an address (or name) is not a public one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonPublic {
    /// 127.0.0.0/8, ::1, and the name `localhost`.
    Loopback,
    /// RFC 1918: 10/8, 172.16/12, 192.168/16.
    Private,
    /// 169.254/16, fe80::/10.
    LinkLocal,
    /// fc00::/7 (and the deprecated site-local fec0::/10).
    UniqueLocal,
    /// 100.64/10, carrier-grade NAT: a provider's own network.
    SharedNat,
    /// 0.0.0.0/8 and ::, which Linux connects to this machine.
    Unspecified,
    /// 255.255.255.255.
    Broadcast,
    /// 224/4, ff00::/8.
    Multicast,
    /// A cloud's instance metadata service (credentials live there).
    CloudMetadata,
    /// Documentation, benchmarking, protocol assignments, future use, discard …
    Reserved,
}

impl NonPublic {
    /// The kind in words, for evidence and logs.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Loopback => "a loopback address (this machine)",
            Self::Private => "a private network address",
            Self::LinkLocal => "a link-local address",
            Self::UniqueLocal => "a unique-local (private) IPv6 address",
            Self::SharedNat => "a carrier-grade NAT address (100.64.0.0/10)",
            Self::Unspecified => "the unspecified address (this machine)",
            Self::Broadcast => "the broadcast address",
            Self::Multicast => "a multicast address",
            Self::CloudMetadata => "a cloud metadata service",
            Self::Reserved => "a reserved address, not reachable on the internet",
        }
    }
}

/// Metadata services of the clouds Hutong might run on or be pointed at: AWS, GCP, Azure,
/// OpenStack and Oracle (169.254.169.254), AWS ECS (169.254.170.2), Alibaba Cloud
/// (100.100.100.200), Tencent Cloud (169.254.0.23), Oracle Cloud Classic (192.0.0.192).
const METADATA_V4: [Ipv4Addr; 5] = [
    Ipv4Addr::new(169, 254, 169, 254),
    Ipv4Addr::new(169, 254, 170, 2),
    Ipv4Addr::new(100, 100, 100, 200),
    Ipv4Addr::new(169, 254, 0, 23),
    Ipv4Addr::new(192, 0, 0, 192),
];
/// AWS's IPv6 metadata service.
const METADATA_V6: [Ipv6Addr; 1] = [Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254)];
/// Names of metadata services that need no DNS of ours to mean something internal.
const METADATA_NAMES: [&str; 4] = [
    "metadata.google.internal",
    "metadata.goog",
    "metadata.tencentyun.com",
    "instance-data",
];

/// What kind of non-public address `ip` is; `None` for a public one.
pub fn classify(ip: IpAddr) -> Option<NonPublic> {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

fn classify_v4(ip: Ipv4Addr) -> Option<NonPublic> {
    let [a, b, c, _] = ip.octets();
    Some(if METADATA_V4.contains(&ip) {
        NonPublic::CloudMetadata
    } else if a == 0 {
        NonPublic::Unspecified
    } else if ip.is_loopback() {
        NonPublic::Loopback
    } else if ip.is_private() {
        NonPublic::Private
    } else if ip.is_link_local() {
        NonPublic::LinkLocal
    } else if a == 100 && (64..128).contains(&b) {
        NonPublic::SharedNat
    } else if ip.is_broadcast() {
        NonPublic::Broadcast
    } else if ip.is_multicast() {
        NonPublic::Multicast
    } else if ip.is_documentation()
        // 192.0.0.0/24 protocol assignments, 192.88.99.0/24 the old 6to4 relays,
        // 198.18.0.0/15 benchmarking, 240.0.0.0/4 future use.
        || (a, b, c) == (192, 0, 0)
        || (a, b, c) == (192, 88, 99)
        || (a == 198 && (b == 18 || b == 19))
        || a >= 240
    {
        NonPublic::Reserved
    } else {
        return None;
    })
}

fn classify_v6(ip: Ipv6Addr) -> Option<NonPublic> {
    if METADATA_V6.contains(&ip) {
        return Some(NonPublic::CloudMetadata);
    }
    if ip.is_unspecified() {
        return Some(NonPublic::Unspecified);
    }
    if ip.is_loopback() {
        return Some(NonPublic::Loopback);
    }
    // An IPv4 address inside an IPv6 one reaches that IPv4 address: judge that one.
    if let Some(v4) = embedded_v4(ip) {
        return classify_v4(v4);
    }
    let s = ip.segments();
    Some(if ip.is_multicast() {
        NonPublic::Multicast
    } else if ip.is_unicast_link_local() {
        NonPublic::LinkLocal
    } else if ip.is_unique_local() || (s[0] & 0xffc0) == 0xfec0 {
        NonPublic::UniqueLocal
    } else if s[0] == 0
        // The rest of ::/8 (old IPv4-compatible forms and the like), 64:ff9b:1::/48
        // local NAT64, 100::/64 discard, 2001::/23 protocol assignments (Teredo …),
        // 2001:db8::/32 and 3fff::/20 documentation, 5f00::/16 segment routing.
        || (s[0], s[1], s[2]) == (0x64, 0xff9b, 1)
        || (s[0], s[1], s[2], s[3]) == (0x100, 0, 0, 0)
        || (s[0] == 0x2001 && s[1] < 0x200)
        || (s[0], s[1]) == (0x2001, 0xdb8)
        || (s[0] & 0xfff0) == 0x3ff0
        || s[0] == 0x5f00
    {
        NonPublic::Reserved
    } else {
        return None;
    })
}

/// The IPv4 address an IPv6 address stands for: IPv4-mapped (`::ffff:a.b.c.d`),
/// IPv4-compatible (`::a.b.c.d`), NAT64 (`64:ff9b::a.b.c.d`) or 6to4 (`2002:AABB:CCDD::`).
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return Some(v4);
    }
    let s = ip.segments();
    let low = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    match s {
        [0, 0, 0, 0, 0, 0, hi, lo] => Some(low(hi, lo)),
        [0x64, 0xff9b, 0, 0, 0, 0, hi, lo] => Some(low(hi, lo)),
        [0x2002, hi, lo, ..] => Some(low(hi, lo)),
        _ => None,
    }
}

/// What kind of internal name `host` is (`localhost`, `*.localhost`, `*.internal`, a
/// cloud metadata name); `None` for any other name. The resolved addresses are checked
/// anyway; names matter where no resolver of ours is asked (through a proxy).
pub fn classify_name(host: &str) -> Option<NonPublic> {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if host == "localhost" || host.ends_with(".localhost") {
        Some(NonPublic::Loopback)
    } else if METADATA_NAMES.contains(&host.as_str()) {
        Some(NonPublic::CloudMetadata)
    } else if host == "internal" || host.ends_with(".internal") {
        // A top-level domain reserved for private networks (ICANN, 2024).
        Some(NonPublic::Private)
    } else {
        None
    }
}

/// A connection refused because it would reach an internal address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// The host as the URL or the resolver named it.
    pub host: String,
    /// The address refused, when the host is one or resolved to one.
    pub address: Option<IpAddr>,
    pub kind: NonPublic,
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.address {
            Some(address) if address.to_string() == self.host => {
                write!(f, "{address} is {}", self.kind.describe())
            }
            Some(address) => write!(
                f,
                "{} resolves only to internal addresses: {address} is {}",
                self.host,
                self.kind.describe()
            ),
            None => write!(f, "{} names {}", self.host, self.kind.describe()),
        }
    }
}

impl StdError for Refused {}

/// Why `url` must not be fetched, judged from its host alone: an internal IP literal
/// (which no resolver ever sees) or an internal name.
pub fn refused_url(url: &Url) -> Option<Refused> {
    let (address, kind) = match url.host()? {
        Host::Ipv4(v4) => (Some(IpAddr::V4(v4)), classify_v4(v4)?),
        Host::Ipv6(v6) => (Some(IpAddr::V6(v6)), classify_v6(v6)?),
        Host::Domain(name) => (None, classify_name(name)?),
    };
    Some(Refused {
        host: match address {
            Some(address) => address.to_string(),
            None => url.host_str().unwrap_or_default().to_string(),
        },
        address,
        kind,
    })
}

/// Keeps the public addresses of a lookup's answer; when none is left, the refusal of the
/// first internal one.
pub fn public_only(host: &str, addresses: Vec<SocketAddr>) -> Result<Vec<SocketAddr>, Refused> {
    let mut first_refused = None;
    let mut public = Vec::with_capacity(addresses.len());
    for address in addresses {
        match classify(address.ip()) {
            None => public.push(address),
            Some(kind) => {
                first_refused.get_or_insert((address.ip(), kind));
            }
        }
    }
    match (public.is_empty(), first_refused) {
        (true, Some((address, kind))) => Err(Refused {
            host: host.to_string(),
            address: Some(address),
            kind,
        }),
        _ => Ok(public),
    }
}

/// A resolver that answers only public addresses: it asks the system (or `inner`) and
/// drops every internal address from the answer, so reqwest connects only to addresses
/// that passed the check. `exempt` is the proxy's host (the simulator, on loopback): the
/// only name allowed to resolve to an internal address.
pub struct GuardedResolver {
    inner: Option<Arc<dyn Resolve>>,
    exempt: Option<String>,
}

impl GuardedResolver {
    pub fn new(inner: Option<Arc<dyn Resolve>>, exempt: Option<String>) -> GuardedResolver {
        GuardedResolver {
            inner,
            exempt: exempt.map(|h| h.trim_end_matches('.').to_ascii_lowercase()),
        }
    }
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_string();
        let exempt = self
            .exempt
            .as_deref()
            .is_some_and(|e| e == host.trim_end_matches('.').to_ascii_lowercase());
        if !exempt && let Some(kind) = classify_name(&host) {
            let refused = Refused {
                host,
                address: None,
                kind,
            };
            return Box::pin(async move { Err::<Addrs, BoxError>(Box::new(refused)) });
        }
        let inner = self.inner.clone();
        Box::pin(async move {
            let found: Vec<SocketAddr> = match inner {
                Some(inner) => inner.resolve(name).await?.collect(),
                None => tokio::net::lookup_host((host.as_str(), 0)).await?.collect(),
            };
            if exempt {
                return Ok(Box::new(found.into_iter()) as Addrs);
            }
            let public = public_only(&host, found)?;
            Ok(Box::new(public.into_iter()) as Addrs)
        })
    }
}

/// The refusal behind an error from reqwest, if that is why it failed.
pub fn refusal_in<'a>(error: &'a (dyn StdError + 'static)) -> Option<&'a Refused> {
    let mut next: Option<&'a (dyn StdError + 'static)> = Some(error);
    while let Some(cause) = next {
        if let Some(refused) = cause.downcast_ref::<Refused>() {
            return Some(refused);
        }
        // io::Error hides what it wraps from `source`.
        if let Some(inner) = cause
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .and_then(|inner| inner.downcast_ref::<Refused>())
        {
            return Some(inner);
        }
        next = cause.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn kind(text: &str) -> Option<NonPublic> {
        classify(IpAddr::from_str(text).unwrap_or_else(|e| panic!("{text}: {e}")))
    }

    #[test]
    fn ipv4_edges() {
        use NonPublic::*;
        for (address, expected) in [
            ("127.0.0.1", Some(Loopback)),
            ("127.255.255.254", Some(Loopback)),
            ("126.255.255.255", None),
            ("128.0.0.1", None),
            ("10.0.0.1", Some(Private)),
            ("10.255.255.255", Some(Private)),
            ("11.0.0.0", None),
            ("9.255.255.255", None),
            ("172.15.255.255", None),
            ("172.16.0.0", Some(Private)),
            ("172.31.255.255", Some(Private)),
            ("172.32.0.0", None),
            ("192.168.0.1", Some(Private)),
            ("192.169.0.1", None),
            ("169.254.0.1", Some(LinkLocal)),
            ("169.254.169.254", Some(CloudMetadata)),
            ("169.254.170.2", Some(CloudMetadata)),
            ("169.254.0.23", Some(CloudMetadata)),
            ("100.100.100.200", Some(CloudMetadata)),
            ("192.0.0.192", Some(CloudMetadata)),
            ("169.255.0.1", None),
            ("100.63.255.255", None),
            ("100.64.0.0", Some(SharedNat)),
            ("100.127.255.255", Some(SharedNat)),
            ("100.128.0.0", None),
            ("0.0.0.0", Some(Unspecified)),
            ("0.1.2.3", Some(Unspecified)),
            ("255.255.255.255", Some(Broadcast)),
            ("224.0.0.1", Some(Multicast)),
            ("239.255.255.255", Some(Multicast)),
            ("240.0.0.1", Some(Reserved)),
            ("192.0.2.1", Some(Reserved)),
            ("198.51.100.7", Some(Reserved)),
            ("203.0.113.9", Some(Reserved)),
            ("198.18.0.1", Some(Reserved)),
            ("198.19.255.255", Some(Reserved)),
            ("198.20.0.0", None),
            ("192.0.0.8", Some(Reserved)),
            ("192.88.99.1", Some(Reserved)),
            ("1.1.1.1", None),
            ("223.5.5.5", None),
            ("140.205.60.46", None),
        ] {
            assert_eq!(kind(address), expected, "{address}");
        }
    }

    #[test]
    fn ipv6_edges_and_ipv4_inside_ipv6() {
        use NonPublic::*;
        for (address, expected) in [
            ("::1", Some(Loopback)),
            ("::", Some(Unspecified)),
            ("::ffff:127.0.0.1", Some(Loopback)),
            ("::ffff:7f00:1", Some(Loopback)),
            ("::ffff:10.1.2.3", Some(Private)),
            ("::ffff:169.254.169.254", Some(CloudMetadata)),
            ("::ffff:100.64.0.1", Some(SharedNat)),
            ("::ffff:0.0.0.0", Some(Unspecified)),
            ("::ffff:8.8.8.8", None),
            ("::127.0.0.1", Some(Loopback)),
            ("::192.168.1.1", Some(Private)),
            ("64:ff9b::127.0.0.1", Some(Loopback)),
            ("64:ff9b::a9fe:a9fe", Some(CloudMetadata)),
            ("64:ff9b::8.8.8.8", None),
            ("64:ff9b:1::1", Some(Reserved)),
            ("2002:7f00:1::", Some(Loopback)),
            ("2002:c0a8:101::1", Some(Private)),
            ("2002:808:808::1", None),
            ("fe80::1", Some(LinkLocal)),
            ("febf:ffff::1", Some(LinkLocal)),
            ("fec0::1", Some(UniqueLocal)),
            ("fc00::1", Some(UniqueLocal)),
            ("fdff:ffff::1", Some(UniqueLocal)),
            ("fd00:ec2::254", Some(CloudMetadata)),
            ("fd00:ec2::253", Some(UniqueLocal)),
            ("ff02::1", Some(Multicast)),
            ("ff0e::1", Some(Multicast)),
            ("2001:db8::1", Some(Reserved)),
            ("3fff::1", Some(Reserved)),
            ("2001::1", Some(Reserved)),
            ("100::1", Some(Reserved)),
            ("5f00::1", Some(Reserved)),
            ("2400:3200::1", None),
            ("2606:4700:4700::1111", None),
            ("fbff::1", None),
        ] {
            assert_eq!(kind(address), expected, "{address}");
        }
    }

    #[test]
    fn names() {
        use NonPublic::*;
        for (name, expected) in [
            ("localhost", Some(Loopback)),
            ("LOCALHOST.", Some(Loopback)),
            ("app.localhost", Some(Loopback)),
            ("metadata.google.internal", Some(CloudMetadata)),
            ("metadata.google.internal.", Some(CloudMetadata)),
            ("metadata.goog", Some(CloudMetadata)),
            ("metadata.tencentyun.com", Some(CloudMetadata)),
            ("instance-data", Some(CloudMetadata)),
            ("db.internal", Some(Private)),
            ("notlocalhost", None),
            ("localhost.example.com", None),
            ("internal.example.com", None),
            ("item.taobao.com", None),
            ("shop.simshop.test", None),
        ] {
            assert_eq!(classify_name(name), expected, "{name}");
        }
    }

    #[test]
    fn urls_are_judged_by_their_host() {
        let refused = |u: &str| refused_url(&Url::parse(u).unwrap());
        // The URL parser reads every spelling of an address as the address.
        for url in [
            "http://127.0.0.1:8080/api/v1/requirements",
            "http://127.1/",
            "http://2130706433/",
            "http://0x7f000001/",
            "http://0177.0.0.1/",
            "http://[::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://0/",
            "https://localhost./",
        ] {
            let r = refused(url).unwrap_or_else(|| panic!("{url} allowed"));
            assert!(
                matches!(r.kind, NonPublic::Loopback | NonPublic::Unspecified),
                "{url}: {r:?}"
            );
        }
        let r = refused("http://169.254.169.254/latest/meta-data/").unwrap();
        assert_eq!(r.to_string(), "169.254.169.254 is a cloud metadata service");
        let r = refused("http://[fd00:ec2::254]/").unwrap();
        assert_eq!(r.kind, NonPublic::CloudMetadata);
        assert_eq!(r.host, "fd00:ec2::254");
        let r = refused("http://metadata.google.internal/computeMetadata/v1/").unwrap();
        assert_eq!(
            r.to_string(),
            "metadata.google.internal names a cloud metadata service"
        );
        for url in [
            "http://item.taobao.com/",
            "https://140.205.60.46/",
            "http://[2400:3200::1]/",
            "http://bridge.simchat.test/",
        ] {
            assert_eq!(refused(url), None, "{url}");
        }
    }

    #[test]
    fn a_lookup_keeps_only_public_addresses() {
        let at = |s: &str| SocketAddr::new(IpAddr::from_str(s).unwrap(), 0);
        // Mixed answers: only the public address is ever connected to.
        assert_eq!(
            public_only(
                "mixed.example",
                vec![at("127.0.0.1"), at("1.1.1.1"), at("::1")]
            ),
            Ok(vec![at("1.1.1.1")])
        );
        let refused = public_only("rebind.example", vec![at("10.0.0.7"), at("127.0.0.1")])
            .expect_err("nothing public");
        assert_eq!(refused.address, Some(IpAddr::from_str("10.0.0.7").unwrap()));
        assert_eq!(
            refused.to_string(),
            "rebind.example resolves only to internal addresses: 10.0.0.7 is a private network address"
        );
        // An empty answer is the lookup's own failure, not a refusal.
        assert_eq!(public_only("empty.example", Vec::new()), Ok(Vec::new()));
    }

    /// Answers fixed addresses for every name: a DNS server under an attacker's control.
    struct Fixed(Vec<SocketAddr>);

    impl Resolve for Fixed {
        fn resolve(&self, _: Name) -> Resolving {
            let addresses = self.0.clone();
            Box::pin(async move { Ok(Box::new(addresses.into_iter()) as Addrs) })
        }
    }

    #[tokio::test]
    async fn the_guarded_resolver_filters_answers_and_spares_only_the_proxy() {
        let at = |s: &str| SocketAddr::new(IpAddr::from_str(s).unwrap(), 0);
        let fixed = Arc::new(Fixed(vec![at("169.254.169.254"), at("93.184.216.34")]));
        let guard = GuardedResolver::new(Some(fixed.clone()), None);
        let name = |n: &str| Name::from_str(n).unwrap();
        let answer: Vec<SocketAddr> = guard
            .resolve(name("www.example.com"))
            .await
            .unwrap()
            .collect();
        assert_eq!(answer, vec![at("93.184.216.34")]);

        let loopback = Arc::new(Fixed(vec![at("127.0.0.1")]));
        let guard = GuardedResolver::new(Some(loopback.clone()), None);
        let error = match guard.resolve(name("rebind.example")).await {
            Ok(addresses) => panic!("allowed: {:?}", addresses.collect::<Vec<_>>()),
            Err(error) => error,
        };
        let refused = refusal_in(error.as_ref()).expect("a refusal");
        assert_eq!(refused.kind, NonPublic::Loopback);
        assert!(guard.resolve(name("localhost")).await.is_err());

        // The simulator's proxy host may be on loopback; nothing else may.
        let guard = GuardedResolver::new(Some(loopback), Some("Sim.Local.".into()));
        let answer: Vec<SocketAddr> = guard.resolve(name("sim.local")).await.unwrap().collect();
        assert_eq!(answer, vec![at("127.0.0.1")]);
        assert!(guard.resolve(name("other.example")).await.is_err());
    }
}
