//! Which proxy a request goes through: curl's environment variables, read once.

use std::net::IpAddr;

use ureq::http::Uri;

/// The variables curl reads for proxies.
const NAMES: [&str; 8] = [
    "no_proxy",
    "NO_PROXY",
    "https_proxy",
    "HTTPS_PROXY",
    "http_proxy",
    "HTTP_PROXY",
    "all_proxy",
    "ALL_PROXY",
];

/// The proxy settings of the environment, read once per run: every connection of the
/// run (reconnections, doctor's probes) goes the same way.
#[derive(Debug, Clone, Default)]
pub struct ProxyEnv {
    /// The variables that are set and not blank, by name.
    vars: Vec<(&'static str, String)>,
}

impl ProxyEnv {
    pub fn read() -> ProxyEnv {
        ProxyEnv::from_fn(|name| std::env::var(name).ok())
    }

    /// The settings `env` gives (tests).
    pub fn from_fn(env: impl Fn(&str) -> Option<String>) -> ProxyEnv {
        let vars = NAMES
            .iter()
            .filter_map(|&n| env(n).filter(|v| !v.trim().is_empty()).map(|v| (n, v)))
            .collect();
        ProxyEnv { vars }
    }

    /// The proxy curl would use for this URL: `http_proxy` (or `HTTP_PROXY`) for http,
    /// `https_proxy`/`HTTPS_PROXY` for https, else `all_proxy`/`ALL_PROXY`; none when
    /// `no_proxy`/`NO_PROXY` matches the host. Lowercase names win, as in curl.
    pub fn choose(&self, uri: &Uri) -> Option<String> {
        choose_proxy(uri, &|name| {
            self.vars
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.clone())
        })
    }
}

fn choose_proxy(uri: &Uri, env: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    let host = uri.host()?.trim_start_matches('[').trim_end_matches(']');
    let get = |names: &[&str]| names.iter().find_map(|n| env(n));
    if let Some(list) = get(&["no_proxy", "NO_PROXY"]) {
        if no_proxy_matches(&list, host) {
            return None;
        }
    }
    let https = uri
        .scheme_str()
        .is_some_and(|s| s.eq_ignore_ascii_case("https"));
    let specific = if https {
        get(&["https_proxy", "HTTPS_PROXY"])
    } else {
        get(&["http_proxy", "HTTP_PROXY"])
    };
    specific
        .or_else(|| get(&["all_proxy", "ALL_PROXY"]))
        .map(|p| p.trim().to_string())
}

/// curl's NO_PROXY: `*` matches all; a name matches itself and its subdomains (a
/// leading dot is ignored); an IP matches itself; `addr/bits` matches a range.
pub fn no_proxy_matches(list: &str, host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let host_ip: Option<IpAddr> = host.parse().ok();
    list.split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .any(|entry| {
            if entry == "*" {
                return true;
            }
            if let (Some(ip), Some((net, bits))) = (host_ip, entry.split_once('/')) {
                return match (net.parse::<IpAddr>(), bits.parse::<u32>()) {
                    (Ok(net), Ok(bits)) => in_cidr(ip, net, bits),
                    _ => false,
                };
            }
            let entry = entry
                .trim_start_matches('.')
                .trim_end_matches('.')
                .to_ascii_lowercase();
            let entry = entry.trim_start_matches('[').trim_end_matches(']');
            // Entries may carry a port in the wild ("localhost:8080"); curl ignores it.
            let entry = match entry.rsplit_once(':') {
                Some((h, port)) if !h.contains(':') && port.bytes().all(|b| b.is_ascii_digit()) => {
                    h
                }
                _ => entry,
            };
            host == entry || host.ends_with(&format!(".{entry}"))
        })
}

fn in_cidr(ip: IpAddr, net: IpAddr, bits: u32) -> bool {
    match (ip, net) {
        (IpAddr::V4(ip), IpAddr::V4(net)) if bits <= 32 => {
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - bits)
            };
            u32::from(ip) & mask == u32::from(net) & mask
        }
        (IpAddr::V6(ip), IpAddr::V6(net)) if bits <= 128 => {
            let mask = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - bits)
            };
            u128::from(ip) & mask == u128::from(net) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn proxy_for(url: &str, vars: &[(&str, &str)]) -> Option<String> {
        let env: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        ProxyEnv::from_fn(|name| env.get(name).cloned()).choose(&url.parse().unwrap())
    }

    #[test]
    fn proxies_chosen_as_curl_does() {
        assert_eq!(proxy_for("http://a.com/", &[]), None);
        assert_eq!(
            proxy_for("http://a.com/", &[("HTTP_PROXY", "http://p:1")]),
            Some("http://p:1".into())
        );
        assert_eq!(
            proxy_for("https://a.com/", &[("HTTP_PROXY", "http://p:1")]),
            None
        );
        assert_eq!(
            proxy_for("https://a.com/", &[("HTTPS_PROXY", "http://s:2")]),
            Some("http://s:2".into())
        );
        assert_eq!(
            proxy_for(
                "https://a.com/",
                &[("https_proxy", "http://l:3"), ("HTTPS_PROXY", "http://u:4")]
            ),
            Some("http://l:3".into())
        );
        assert_eq!(
            proxy_for("http://a.com/", &[("ALL_PROXY", "socks5://s:5")]),
            Some("socks5://s:5".into())
        );
        let with_no =
            |no: &str, url: &str| proxy_for(url, &[("http_proxy", "http://p:1"), ("NO_PROXY", no)]);
        assert_eq!(with_no("a.com", "http://a.com/"), None);
        assert_eq!(with_no("a.com", "http://sub.a.com/"), None);
        assert_eq!(with_no(".a.com", "http://a.com/"), None);
        assert_eq!(
            with_no("a.com", "http://nota.com/"),
            Some("http://p:1".into())
        );
        assert_eq!(with_no("*", "http://x.org/"), None);
        assert_eq!(with_no("localhost, 127.0.0.1", "http://127.0.0.1:8/"), None);
        assert_eq!(with_no("10.0.0.0/8", "http://10.1.2.3/"), None);
        assert_eq!(
            with_no("10.0.0.0/8", "http://11.1.2.3/"),
            Some("http://p:1".into())
        );
        assert_eq!(with_no("::1", "http://[::1]:80/"), None);
    }
}
