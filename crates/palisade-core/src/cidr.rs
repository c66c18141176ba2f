//! CIDR ranges: the one implementation behind NetworkPolicy `ipBlock`s (the rules, `netpol
//! can-reach`, `harden`) and the probe's target ranges. Network arithmetic is `ipnet`'s; what is
//! ours is how text becomes a range, because the two readers differ on purpose:
//!
//! - [`Cidr::parse_sloppy`] reads a value the way the API server validated legacy CIDR fields
//!   such as `ipBlock.cidr` (`k8s.io/utils/net.ParseCIDRSloppy`, Go's parser before 1.17): IPv4
//!   octets and IPv6 groups may carry leading zeros (`010.0.0.0/8` is `10.0.0.0/8`), host bits
//!   are allowed and ignored. A stored object may hold such a value, so the engine must read it
//!   as the cluster did rather than call the policy invalid.
//! - [`Cidr::parse`] reads the standard address syntax (no leading zeros, which some tools read
//!   as octal): for ranges a user types, where an ambiguous address must not be guessed.
//!
//! Containment follows Go's `net.IPNet.Contains`, which both the API server's `except` check and
//! Go network plugins use: an IPv4-mapped IPv6 range of prefix 96 or longer
//! (`::ffff:10.0.0.0/104`) holds the IPv4 addresses it maps (`10.0.0.0/8`), and an IPv4-mapped
//! address is its IPv4 address.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{IpNet, Ipv4Net};

/// Why a text is not a CIDR range; the messages name the offending part.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CidrError {
    #[error("expected ADDRESS/PREFIX")]
    NoPrefix,
    #[error("`{0}` is not an IP address")]
    Address(String),
    #[error("`{0}` is not a prefix length")]
    Prefix(String),
    #[error("the prefix length is at most {max}")]
    PrefixTooLong { max: u8 },
}

/// A CIDR range as written: the address keeps its host bits (`10.1.2.3/16` displays as written)
/// while every question is answered for the network (`10.1.0.0/16`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Cidr(IpNet);

impl Cidr {
    /// `ADDRESS/PREFIX` with standard address syntax: IPv4 octets without leading zeros, IPv6
    /// groups of at most four digits, no zone, no white space; the prefix is decimal digits.
    pub fn parse(text: &str) -> Result<Cidr, CidrError> {
        Cidr::parse_with(text, |a| a.parse().ok())
    }

    /// `ADDRESS/PREFIX` as the API server reads legacy CIDR fields (`ipBlock.cidr` and
    /// `except`): [`Cidr::parse`] plus leading zeros in IPv4 octets and IPv6 groups, read in
    /// decimal and hex. Without the `StrictIPCIDRValidation` feature gate (alpha in 1.33) the
    /// API server accepts these, so objects in clusters carry them.
    pub fn parse_sloppy(text: &str) -> Result<Cidr, CidrError> {
        Cidr::parse_with(text, parse_addr_sloppy)
    }

    fn parse_with(text: &str, addr: impl Fn(&str) -> Option<IpAddr>) -> Result<Cidr, CidrError> {
        // The first `/` splits, as in Go: `10.0.0.0/8/9` has the prefix `8/9`.
        let (a, p) = text.split_once('/').ok_or(CidrError::NoPrefix)?;
        let ip = addr(a).ok_or_else(|| CidrError::Address(a.to_owned()))?;
        if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CidrError::Prefix(p.to_owned()));
        }
        let max = match ip {
            IpAddr::V4(_) => 32,
            IpAddr::V6(_) => 128,
        };
        // Digits only, so a parse failure is an overflow: too long as well.
        let prefix = p
            .parse::<u8>()
            .ok()
            .filter(|n| *n <= max)
            .ok_or(CidrError::PrefixTooLong { max })?;
        IpNet::new(ip, prefix)
            .map(Cidr)
            .map_err(|_| CidrError::PrefixTooLong { max })
    }

    /// The address as written, host bits included.
    pub fn addr(&self) -> IpAddr {
        self.0.addr()
    }

    /// The prefix length as written (`::ffff:10.0.0.0/104` has 104).
    pub fn prefix_len(&self) -> u8 {
        self.0.prefix_len()
    }

    /// The range as written, for address arithmetic (`ipnet`).
    pub fn net(&self) -> IpNet {
        self.0
    }

    /// The network Go's `net.IPNet.Contains` compares against: the written network, except that
    /// an IPv4-mapped IPv6 network of prefix 96 or more is the IPv4 network it maps.
    fn effective(&self) -> IpNet {
        if let IpNet::V6(v6) = self.0 {
            if v6.prefix_len() >= 96 {
                if let Some(v4) = v6.network().to_ipv4_mapped() {
                    if let Ok(net) = Ipv4Net::new(v4, v6.prefix_len() - 96) {
                        return IpNet::V4(net);
                    }
                }
            }
        }
        self.0.trunc()
    }

    /// Whether `ip` is in the range. IPv4 and IPv6 never mix, except through IPv4-mapped
    /// addresses as described in the module documentation.
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.effective().contains(&ip.to_canonical())
    }

    /// Whether `other` is a strict subset, as the API server requires of an `except` entry:
    /// `other`'s network address is in this range and its prefix length (as written) is longer.
    pub fn strictly_contains(&self, other: &Cidr) -> bool {
        self.contains(other.0.network()) && other.prefix_len() > self.prefix_len()
    }

    /// The whole of an address family: `0.0.0.0/0`, `::/0`, or `::ffff:0.0.0.0/96`, which holds
    /// every IPv4 address.
    pub fn is_everything(&self) -> bool {
        self.effective().prefix_len() == 0
    }

    /// Whether the range is one address (`/32` for IPv4, `/128` for IPv6, mapped or not).
    pub fn is_single_address(&self) -> bool {
        self.0.prefix_len() == self.0.max_prefix_len()
    }

    /// How many addresses the written range holds, `None` for 2^128 (`::/0`).
    pub fn address_count(&self) -> Option<u128> {
        let host_bits = self.0.max_prefix_len() - self.0.prefix_len();
        1u128.checked_shl(u32::from(host_bits))
    }

    /// The addresses a probe may connect to, in order: every address of the written range but
    /// an IPv4 network's network and broadcast addresses (a /31 or /32 has neither).
    pub fn hosts(&self) -> impl Iterator<Item = IpAddr> {
        self.0.hosts()
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Reads an address as `k8s.io/utils/net.ParseIPSloppy` does: the standard syntax, but every number
/// may carry leading zeros (`010.0.0.1` is decimal 10.0.0.1, `0000ffff::` is `ffff::`).
/// Stripping them (keeping one digit) turns such a text into the standard one with the same
/// value; what remains invalid for Go stays invalid for the standard parser.
fn parse_addr_sloppy(text: &str) -> Option<IpAddr> {
    if let Ok(ip) = text.parse() {
        return Some(ip);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    loop {
        let end = rest.find([':', '.']).unwrap_or(rest.len());
        let (part, tail) = rest.split_at(end);
        let stripped = part.trim_start_matches('0');
        if part.len() > 1 && part.bytes().all(|b| b.is_ascii_hexdigit()) {
            out.push_str(if stripped.is_empty() { "0" } else { stripped });
        } else {
            out.push_str(part);
        }
        let mut chars = tail.chars();
        match chars.next() {
            Some(separator) => out.push(separator),
            None => break,
        }
        rest = chars.as_str();
    }
    out.parse::<Ipv4Addr>()
        .map(IpAddr::V4)
        .or_else(|_| out.parse::<Ipv6Addr>().map(IpAddr::V6))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn contains_ignores_host_bits() {
        let c = Cidr::parse("10.1.2.3/16").unwrap();
        assert_eq!(c.to_string(), "10.1.2.3/16");
        assert!(c.contains(ip("10.1.255.1")));
        assert!(!c.contains(ip("10.2.0.1")));
        assert!(!c.contains(ip("::1")));
        assert!(Cidr::parse("0.0.0.0/0")
            .unwrap()
            .contains(ip("255.255.255.255")));
        assert!(!Cidr::parse("::/0").unwrap().contains(ip("1.2.3.4")));
        assert!(Cidr::parse("2001:db8::/32")
            .unwrap()
            .contains(ip("2001:db8::1")));
    }

    #[test]
    fn errors_name_the_part() {
        for (text, err) in [
            ("10.0.0.0", CidrError::NoPrefix),
            ("10.0.0/24", CidrError::Address("10.0.0".into())),
            (" 10.0.0.0/8", CidrError::Address(" 10.0.0.0".into())),
            ("fe80::1%eth0/64", CidrError::Address("fe80::1%eth0".into())),
            ("10.0.0.0/x", CidrError::Prefix("x".into())),
            ("10.0.0.0/", CidrError::Prefix("".into())),
            ("10.0.0.0/+8", CidrError::Prefix("+8".into())),
            ("10.0.0.0/8 ", CidrError::Prefix("8 ".into())),
            ("10.0.0.0/8/9", CidrError::Prefix("8/9".into())),
            ("10.0.0.0/33", CidrError::PrefixTooLong { max: 32 }),
            ("10.0.0.0/99999999999", CidrError::PrefixTooLong { max: 32 }),
            ("::/129", CidrError::PrefixTooLong { max: 128 }),
        ] {
            assert_eq!(Cidr::parse(text), Err(err.clone()), "{text}");
            assert_eq!(Cidr::parse_sloppy(text), Err(err), "{text}");
        }
        assert_eq!(Cidr::parse("10.0.0.0/016").unwrap().prefix_len(), 16);
    }

    /// What ParseCIDRSloppy accepts beyond the standard syntax, and what it still refuses.
    #[test]
    fn sloppy_reads_leading_zeros_in_decimal() {
        for (text, network) in [
            ("010.0.0.0/8", "10.0.0.0/8"),
            ("10.000.0.00000000000001/32", "10.0.0.1/32"),
            ("00000:0db8::/32", "0:db8::/32"),
            ("00002001:db8::/32", "2001:db8::/32"),
            ("::ffff:010.0.0.0/104", "::ffff:10.0.0.0/104"),
        ] {
            assert!(Cidr::parse(text).is_err(), "{text}");
            let c = Cidr::parse_sloppy(text).unwrap();
            assert_eq!(c.net().trunc().to_string(), network, "{text}");
        }
        for text in [
            "0256.0.0.0/8",
            "010.0.0/8",
            "0x10.0.0.0/8",
            "10000::/8",
            "1::2::/8",
            "::ffff:0a.0.0.0/104",
            "1:2:3:4:5:6:7:8::/64",
        ] {
            assert!(Cidr::parse_sloppy(text).is_err(), "{text}");
        }
        assert!(Cidr::parse_sloppy("010.0.0.0/8")
            .unwrap()
            .contains(ip("10.200.0.1")));
    }

    /// Go's `IPNet.Contains` and the API server's `except` check with IPv4-mapped ranges.
    #[test]
    fn ipv4_mapped_ranges_hold_ipv4_addresses() {
        let mapped = Cidr::parse("::ffff:10.0.0.0/104").unwrap();
        assert!(mapped.contains(ip("10.1.2.3")));
        assert!(mapped.contains(ip("::ffff:10.1.2.3")));
        assert!(!mapped.contains(ip("11.0.0.1")));
        let v4 = Cidr::parse("10.0.0.0/8").unwrap();
        assert!(v4.contains(ip("::ffff:10.1.2.3")));
        // Prefix lengths compare as written: 104 is not shorter than 16.
        assert!(!mapped.strictly_contains(&Cidr::parse("10.1.0.0/16").unwrap()));
        assert!(mapped.strictly_contains(&Cidr::parse("::ffff:10.1.0.0/112").unwrap()));
        assert!(v4.strictly_contains(&Cidr::parse("::ffff:10.1.0.0/112").unwrap()));
        // Below 96 bits the mapping prefix itself is cut: an IPv6 range.
        assert!(!Cidr::parse("::ffff:0.0.0.0/90")
            .unwrap()
            .contains(ip("10.0.0.1")));
        assert!(Cidr::parse("::ffff:0.0.0.0/96").unwrap().is_everything());
    }

    #[test]
    fn strict_subsets() {
        let c = Cidr::parse("10.0.0.0/8").unwrap();
        assert!(c.strictly_contains(&Cidr::parse("10.1.0.0/16").unwrap()));
        assert!(!c.strictly_contains(&Cidr::parse("10.0.0.0/8").unwrap()));
        assert!(!c.strictly_contains(&Cidr::parse("11.0.0.0/16").unwrap()));
        assert!(!c.strictly_contains(&Cidr::parse("2001:db8::/32").unwrap()));
        assert!(Cidr::parse("10.1.2.3/8")
            .unwrap()
            .strictly_contains(&Cidr::parse("10.1.0.0/16").unwrap()));
    }

    #[test]
    fn counts_and_hosts() {
        let c = Cidr::parse("127.1.0.9/24").unwrap();
        assert_eq!(c.address_count(), Some(256));
        let hosts: Vec<IpAddr> = c.hosts().collect();
        assert_eq!(hosts.len(), 254);
        assert_eq!(hosts[0], ip("127.1.0.1"));
        assert_eq!(Cidr::parse("10.0.0.7/31").unwrap().hosts().count(), 2);
        assert_eq!(Cidr::parse("10.0.0.7/32").unwrap().hosts().count(), 1);
        assert_eq!(Cidr::parse("fd00::/126").unwrap().hosts().count(), 4);
        assert_eq!(Cidr::parse("::/0").unwrap().address_count(), None);
        assert_eq!(
            Cidr::parse("::/1").unwrap().address_count(),
            Some(1u128 << 127)
        );
    }
}
