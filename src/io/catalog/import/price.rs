//! One price from AWS's Price List, whatever file it came from, and which catalog figure it is.
//!
//! Owns the rules that pick natsim's figures out of AWS's products (documented in
//! docs/catalog.md): a Linux on-demand instance hour, the NAT gateway's hour and GB, a public
//! IPv4 address hour, a GB across AZs, and the internet egress tiers. Products are matched on
//! the attributes AWS documents (`productFamily`, `usagetype`, `operation`, `tenancy`, ...),
//! named the same in the CSV's columns and the JSON's attributes once case, spaces and
//! punctuation are dropped. Reads no file itself.

/// One price list file: what service and version it holds, for the sources the catalog records.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Offer {
    /// The file name as given.
    pub(super) file: String,
    pub(super) service: String,
    pub(super) version: String,
    pub(super) published: String,
}

impl Offer {
    /// `AmazonEC2 offer 20260101000000 (published 2026-01-01T00:00:00Z, ec2.csv)`.
    pub(super) fn describe(&self) -> String {
        let mut text = if self.service.is_empty() {
            "AWS Price List".to_string()
        } else {
            format!("{} price list", self.service)
        };
        if !self.version.is_empty() {
            text.push_str(&format!(" {}", self.version));
        }
        let mut inside = Vec::new();
        if !self.published.is_empty() {
            inside.push(format!("published {}", self.published));
        }
        inside.push(self.file.clone());
        format!("{text} ({})", inside.join(", "))
    }
}

/// The product attributes natsim reads.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Attrs {
    pub(super) family: Option<String>,
    pub(super) region_code: Option<String>,
    pub(super) from_region_code: Option<String>,
    pub(super) usagetype: Option<String>,
    pub(super) operation: Option<String>,
    pub(super) instance_type: Option<String>,
    pub(super) tenancy: Option<String>,
    pub(super) operating_system: Option<String>,
    pub(super) preinstalled_sw: Option<String>,
    pub(super) capacity_status: Option<String>,
    pub(super) license_model: Option<String>,
    pub(super) market_option: Option<String>,
    pub(super) transfer_type: Option<String>,
}

/// Which attribute a column or JSON key holds, by its name without case, spaces or punctuation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Field {
    Family,
    RegionCode,
    FromRegionCode,
    Usagetype,
    Operation,
    InstanceType,
    Tenancy,
    OperatingSystem,
    PreinstalledSw,
    CapacityStatus,
    LicenseModel,
    MarketOption,
    TransferType,
}

impl Field {
    /// The attribute `name` (`"Region Code"`, `"regionCode"`, `"Pre Installed S/W"`) holds, if
    /// natsim reads it.
    pub(super) fn of(name: &str) -> Option<Field> {
        let key: String = name
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_lowercase())
            .collect();
        Some(match key.as_str() {
            "productfamily" => Field::Family,
            "regioncode" => Field::RegionCode,
            "fromregioncode" => Field::FromRegionCode,
            "usagetype" => Field::Usagetype,
            "operation" => Field::Operation,
            "instancetype" => Field::InstanceType,
            "tenancy" => Field::Tenancy,
            "operatingsystem" => Field::OperatingSystem,
            "preinstalledsw" => Field::PreinstalledSw,
            "capacitystatus" => Field::CapacityStatus,
            "licensemodel" => Field::LicenseModel,
            "marketoption" => Field::MarketOption,
            "transfertype" => Field::TransferType,
            _ => return None,
        })
    }
}

impl Attrs {
    pub(super) fn set(&mut self, field: Field, value: String) {
        let slot = match field {
            Field::Family => &mut self.family,
            Field::RegionCode => &mut self.region_code,
            Field::FromRegionCode => &mut self.from_region_code,
            Field::Usagetype => &mut self.usagetype,
            Field::Operation => &mut self.operation,
            Field::InstanceType => &mut self.instance_type,
            Field::Tenancy => &mut self.tenancy,
            Field::OperatingSystem => &mut self.operating_system,
            Field::PreinstalledSw => &mut self.preinstalled_sw,
            Field::CapacityStatus => &mut self.capacity_status,
            Field::LicenseModel => &mut self.license_model,
            Field::MarketOption => &mut self.market_option,
            Field::TransferType => &mut self.transfer_type,
        };
        *slot = Some(value).filter(|v| !v.is_empty());
    }
}

/// A catalog figure a product prices.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(super) enum Item {
    /// A Linux on-demand hour of this instance type, shared tenancy.
    InstanceHour(String),
    NatGatewayHour,
    NatGatewayGb,
    Ipv4Hour,
    /// A GB in or out across AZs (billed on each side).
    CrossAzGb,
    /// A GB to the internet, by monthly volume tier.
    EgressGb,
}

impl Item {
    /// The unit AWS prices it in.
    pub(super) fn unit(&self) -> &'static str {
        match self {
            Item::InstanceHour(_) | Item::NatGatewayHour | Item::Ipv4Hour => "Hrs",
            Item::NatGatewayGb | Item::CrossAzGb | Item::EgressGb => "GB",
        }
    }

    /// What it is, in the words of the catalog's sources and the import's notes.
    pub(super) fn name(&self) -> String {
        format!("{} ({})", self.label(), self.usage())
    }

    pub(super) fn label(&self) -> String {
        match self {
            Item::InstanceHour(name) => format!("{name} Linux on-demand $/h"),
            Item::NatGatewayHour => "NAT gateway $/h".into(),
            Item::NatGatewayGb => "NAT gateway $/GB processed".into(),
            Item::Ipv4Hour => "public IPv4 $/h".into(),
            Item::CrossAzGb => "cross-AZ $/GB each way".into(),
            Item::EgressGb => "internet egress tiers".into(),
        }
    }

    /// The usage type AWS bills it under (without the region prefix).
    pub(super) fn usage(&self) -> String {
        match self {
            Item::InstanceHour(name) => format!("BoxUsage:{name}"),
            Item::NatGatewayHour => "NatGateway-Hours".into(),
            Item::NatGatewayGb => "NatGateway-Bytes".into(),
            Item::Ipv4Hour => "PublicIPv4:InUseAddress".into(),
            Item::CrossAzGb => "DataTransfer-Regional-Bytes".into(),
            Item::EgressGb => "DataTransfer-Out-Bytes".into(),
        }
    }
}

/// One price dimension: a price per `unit` from `begin` to `end` units a month.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Dim {
    pub(super) unit: String,
    pub(super) usd: f64,
    pub(super) begin: f64,
    pub(super) end: f64,
}

/// A product that prices a catalog figure, with its on-demand price dimensions.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Priced {
    pub(super) region: String,
    pub(super) item: Item,
    pub(super) sku: String,
    /// Index of its file in the import's list of offers.
    pub(super) offer: usize,
    /// Where in the file: `line 12`, `products."SKU"`, `PriceList[3]`.
    pub(super) record: String,
    pub(super) dims: Vec<Dim>,
}

/// `usagetype` is `name`, with or without a location prefix (`USW2-NatGateway-Hours`,
/// `USW2-LAX1-DataTransfer-Out-Bytes`).
fn usage_is(usagetype: &str, name: &str) -> bool {
    let Some(prefix) = usagetype.strip_suffix(name) else {
        return false;
    };
    prefix.is_empty()
        || prefix.strip_suffix('-').is_some_and(|code| {
            !code.is_empty()
                && code
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-')
        })
}

fn is(value: &Option<String>, wanted: &str) -> bool {
    value
        .as_deref()
        .is_some_and(|v| v.eq_ignore_ascii_case(wanted))
}

/// `value` is absent or `wanted` (attributes older files lack).
fn absent_or(value: &Option<String>, wanted: &str) -> bool {
    value.is_none() || is(value, wanted)
}

/// The region and catalog figure a product prices, or `None` when natsim does not read it.
pub(super) fn classify(attrs: &Attrs) -> Option<(String, Item)> {
    let usage = attrs.usagetype.as_deref()?;
    let region = attrs.region_code.clone();
    if is(&attrs.family, "Compute Instance") {
        let name = attrs.instance_type.as_deref()?;
        let linux_shared = is(&attrs.operating_system, "Linux")
            && is(&attrs.tenancy, "Shared")
            && is(&attrs.operation, "RunInstances")
            && absent_or(&attrs.preinstalled_sw, "NA")
            && absent_or(&attrs.capacity_status, "Used")
            && absent_or(&attrs.license_model, "No License required")
            && absent_or(&attrs.market_option, "OnDemand")
            && usage_is(usage, &format!("BoxUsage:{name}"));
        return linux_shared
            .then_some(region)
            .flatten()
            .map(|region| (region, Item::InstanceHour(name.to_string())));
    }
    let item = if usage_is(usage, "NatGateway-Hours") {
        Item::NatGatewayHour
    } else if usage_is(usage, "NatGateway-Bytes") {
        Item::NatGatewayGb
    } else if usage_is(usage, "PublicIPv4:InUseAddress") {
        Item::Ipv4Hour
    } else if usage_is(usage, "DataTransfer-Regional-Bytes") {
        Item::CrossAzGb
    } else if usage_is(usage, "DataTransfer-Out-Bytes")
        && absent_or(&attrs.transfer_type, "AWS Outbound")
    {
        Item::EgressGb
    } else {
        return None;
    };
    // A transfer is priced in the region it leaves.
    let region = match item {
        Item::CrossAzGb | Item::EgressGb => attrs.from_region_code.clone().or(region),
        _ => region,
    };
    Some((region?, item))
}

/// A price or range bound as AWS writes it: `"0.0450000000"`, `"Inf"`, empty for none.
pub(super) fn number(text: &str, what: &str) -> Result<f64, String> {
    let trimmed = text.trim();
    if trimmed.eq_ignore_ascii_case("inf") {
        return Ok(f64::INFINITY);
    }
    match trimmed.parse::<f64>() {
        Ok(x) if x.is_finite() && x >= 0.0 => Ok(x),
        _ => Err(format!(
            "{what} {} is not a price or range (a number of 0 or more, or Inf)",
            crate::util::echo::quoted(text)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(pairs: &[(&str, &str)]) -> Attrs {
        let mut a = Attrs::default();
        for (name, value) in pairs {
            a.set(Field::of(name).unwrap(), value.to_string());
        }
        a
    }

    #[test]
    fn column_and_attribute_names_are_the_same_field() {
        for (csv, json) in [
            ("Region Code", "regionCode"),
            ("Pre Installed S/W", "preInstalledSw"),
            ("usageType", "usagetype"),
            ("Product Family", "productFamily"),
            ("CapacityStatus", "capacitystatus"),
            ("From Region Code", "fromRegionCode"),
        ] {
            assert_eq!(Field::of(csv), Field::of(json), "{csv}");
            assert!(Field::of(csv).is_some(), "{csv}");
        }
        assert_eq!(Field::of("Clock Speed"), None);
    }

    #[test]
    fn only_linux_shared_on_demand_hours_price_an_instance() {
        let linux = [
            ("Product Family", "Compute Instance"),
            ("Region Code", "us-west-2"),
            ("Instance Type", "t4g.nano"),
            ("Operating System", "Linux"),
            ("Tenancy", "Shared"),
            ("operation", "RunInstances"),
            ("Pre Installed S/W", "NA"),
            ("CapacityStatus", "Used"),
            ("usageType", "USW2-BoxUsage:t4g.nano"),
        ];
        assert_eq!(
            classify(&attrs(&linux)),
            Some(("us-west-2".into(), Item::InstanceHour("t4g.nano".into())))
        );
        for (name, other) in [
            ("Operating System", "Windows"),
            ("Tenancy", "Dedicated"),
            ("operation", "RunInstances:0010"),
            ("Pre Installed S/W", "SQL Web"),
            ("CapacityStatus", "UnusedCapacityReservation"),
            ("usageType", "USW2-DedicatedUsage:t4g.nano"),
        ] {
            let mut changed = linux.to_vec();
            changed.retain(|(n, _)| *n != name);
            changed.push((name, other));
            assert_eq!(classify(&attrs(&changed)), None, "{name} = {other}");
        }
    }

    #[test]
    fn network_products_are_told_apart_by_usage_type() {
        let item = |usage: &str, extra: &[(&str, &str)]| {
            let mut pairs = vec![("regionCode", "eu-west-1"), ("usagetype", usage)];
            pairs.extend_from_slice(extra);
            classify(&attrs(&pairs)).map(|(_, item)| item)
        };
        assert_eq!(item("EU-NatGateway-Hours", &[]), Some(Item::NatGatewayHour));
        assert_eq!(item("NatGateway-Bytes", &[]), Some(Item::NatGatewayGb));
        assert_eq!(item("EU-RegionalNatGateway-Hours", &[]), None);
        assert_eq!(item("EU-NatGateway-Prvd-Gbps", &[]), None);
        assert_eq!(
            item("EU-PublicIPv4:InUseAddress", &[]),
            Some(Item::Ipv4Hour)
        );
        assert_eq!(item("EU-PublicIPv4:IdleAddress", &[]), None);
        assert_eq!(
            item("EU-DataTransfer-Regional-Bytes", &[]),
            Some(Item::CrossAzGb)
        );
        assert_eq!(
            item(
                "EU-DataTransfer-Out-Bytes",
                &[("transferType", "AWS Outbound")]
            ),
            Some(Item::EgressGb)
        );
        assert_eq!(item("EU-USE1-AWS-Out-Bytes", &[]), None);
        assert_eq!(item("EU-CloudFront-Out-Bytes", &[]), None);
        let egress = attrs(&[
            ("fromRegionCode", "eu-west-1"),
            ("usagetype", "EU-DataTransfer-Out-Bytes"),
        ]);
        assert_eq!(classify(&egress).unwrap().0, "eu-west-1");
    }

    #[test]
    fn numbers_are_prices_or_inf() {
        assert_eq!(number("0.0450000000", "p").unwrap(), 0.045);
        assert_eq!(number("Inf", "p").unwrap(), f64::INFINITY);
        for bad in ["", "-1", "abc", "NaN"] {
            assert!(
                number(bad, "PricePerUnit")
                    .unwrap_err()
                    .contains("PricePerUnit")
            );
        }
    }
}
