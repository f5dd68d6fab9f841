//! The JSON inputs of `natsim catalog import`, told apart by their top-level keys:
//! `aws ec2 describe-instance-types` (`InstanceTypes`), an AWS Price List offer file (`products`
//! and `terms`, the bulk `index.json`), and `aws pricing get-products` output (`PriceList`, an
//! array of JSON documents as strings).
//!
//! Owns reading them as a stream: an offer file's products are classified as they are read and
//! only the ones natsim uses are kept, then only their `OnDemand` terms, so a file of several GB
//! is never held in memory. Errors name the record (`products."SKU"`, `PriceList[3]`) with
//! serde_json's line and column.

use super::price::{Attrs, Dim, Field, Item, Offer, Priced, classify, number};
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::io::Read;

/// What one JSON file held.
pub(super) enum Contents {
    /// `describe-instance-types` output: its `InstanceTypes` records, checked later.
    InstanceTypes(Vec<serde_json::Value>),
    /// A price list (offer file or get-products output); its prices went to `out`.
    Prices { offer: Offer, other_currency: u64 },
}

/// Reads the JSON in `reader`; prices go to `out` tagged with `offer` (this file's index).
pub(super) fn read(
    reader: impl Read,
    file: &str,
    offer: usize,
    out: &mut Vec<Priced>,
) -> Result<Contents, String> {
    let context = RefCell::new(String::new());
    let mut state = State::default();
    let mut deserializer = serde_json::Deserializer::from_reader(reader);
    let result = Top {
        state: &mut state,
        context: &context,
    }
    .deserialize(&mut deserializer)
    .and_then(|()| deserializer.end());
    if let Err(e) = result {
        let at = context.borrow();
        return Err(if at.is_empty() {
            format!("not valid JSON: {e}")
        } else {
            format!("{at}: {e}")
        });
    }
    if let Some(types) = state.instance_types {
        return Ok(Contents::InstanceTypes(types));
    }
    if !(state.products_seen || state.price_list_seen) {
        let keys = if state.keys.is_empty() {
            "none".to_string()
        } else {
            state.keys.join(", ")
        };
        return Err(format!(
            "not `aws ec2 describe-instance-types` output (InstanceTypes), an AWS Price List file (products, terms) or `aws pricing get-products` output (PriceList); its top-level keys: {keys}"
        ));
    }
    let mut other_currency = state.other_currency;
    for (sku, (region, item)) in state.kept {
        let Some(dims) = state.terms.remove(&sku) else {
            continue;
        };
        let (dims, other) =
            usd_dims(dims).map_err(|problem| format!("terms.OnDemand.\"{sku}\": {problem}"))?;
        other_currency += other;
        if !dims.is_empty() {
            out.push(Priced {
                region,
                item,
                record: format!("products.\"{sku}\""),
                sku,
                offer,
                dims,
            });
        }
    }
    out.extend(state.from_price_list.into_iter().map(|mut p| {
        p.offer = offer;
        p
    }));
    // Offer files are read in key order; sort for outputs that do not depend on it.
    out.sort_by(|a, b| (a.offer, &a.record).cmp(&(b.offer, &b.record)));
    let mut meta = state.offer;
    meta.file = file.to_string();
    Ok(Contents::Prices {
        offer: meta,
        other_currency,
    })
}

/// What the top-level keys gave.
#[derive(Default)]
struct State {
    keys: Vec<String>,
    instance_types: Option<Vec<serde_json::Value>>,
    offer: Offer,
    products_seen: bool,
    price_list_seen: bool,
    /// Products natsim uses, by SKU.
    kept: HashMap<String, (String, Item)>,
    /// `OnDemand` price dimensions by SKU: only kept products' once products were read.
    terms: HashMap<String, Vec<RawDim>>,
    from_price_list: Vec<Priced>,
    other_currency: u64,
}

/// Keeps the USD dimensions; counts the others.
fn usd_dims(raw: Vec<RawDim>) -> Result<(Vec<Dim>, u64), String> {
    let mut dims = Vec::new();
    let mut other = 0;
    for d in raw {
        let Some(usd) = d.price_per_unit.get("USD") else {
            other += 1;
            continue;
        };
        let range = |text: &Option<String>, default: f64, what: &str| match text {
            Some(t) if !t.is_empty() => number(t, what),
            _ => Ok(default),
        };
        dims.push(Dim {
            unit: d.unit.unwrap_or_default(),
            usd: number(usd, "pricePerUnit.USD")?,
            begin: range(&d.begin_range, 0.0, "beginRange")?,
            end: range(&d.end_range, f64::INFINITY, "endRange")?,
        });
    }
    Ok((dims, other))
}

#[derive(Deserialize)]
struct RawTerm {
    #[serde(rename = "priceDimensions", default)]
    price_dimensions: BTreeMap<String, RawDim>,
}

#[derive(Deserialize)]
struct RawDim {
    unit: Option<String>,
    #[serde(rename = "pricePerUnit", default)]
    price_per_unit: BTreeMap<String, String>,
    #[serde(rename = "beginRange")]
    begin_range: Option<String>,
    #[serde(rename = "endRange")]
    end_range: Option<String>,
}

/// A product: its SKU, family and the attributes natsim reads.
struct Product {
    sku: Option<String>,
    attrs: Attrs,
}

impl<'de> Deserialize<'de> for Product {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Product;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a product (sku, productFamily, attributes)")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Product, A::Error> {
                let mut product = Product {
                    sku: None,
                    attrs: Attrs::default(),
                };
                let mut family = None;
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "sku" => product.sku = Some(map.next_value()?),
                        "productFamily" => family = map.next_value::<Option<String>>()?,
                        "attributes" => product.attrs = map.next_value::<AttrsMap>()?.0,
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                if let Some(family) = family {
                    product.attrs.set(Field::Family, family);
                }
                Ok(product)
            }
        }
        d.deserialize_map(V)
    }
}

/// A product's `attributes`, keeping only those natsim reads.
struct AttrsMap(Attrs);

impl<'de> Deserialize<'de> for AttrsMap {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = AttrsMap;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map of attribute names to text")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<AttrsMap, A::Error> {
                let mut attrs = Attrs::default();
                while let Some(key) = map.next_key::<String>()? {
                    match Field::of(&key) {
                        Some(field) => {
                            if let Some(value) = map.next_value::<Option<String>>()? {
                                attrs.set(field, value);
                            }
                        }
                        None => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(AttrsMap(attrs))
            }
        }
        d.deserialize_map(V)
    }
}

/// The top-level object.
struct Top<'a> {
    state: &'a mut State,
    context: &'a RefCell<String>,
}

impl<'de> DeserializeSeed<'de> for Top<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Top<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let state = self.state;
        while let Some(key) = map.next_key::<String>()? {
            if state.keys.len() < 12 {
                state.keys.push(key.clone());
            }
            *self.context.borrow_mut() = key.clone();
            match key.as_str() {
                "InstanceTypes" => state.instance_types = Some(map.next_value()?),
                "products" => {
                    map.next_value_seed(Products {
                        kept: &mut state.kept,
                        context: self.context,
                    })?;
                    state.products_seen = true;
                    // Terms read before the products kept every SKU's: drop the rest now.
                    let kept = &state.kept;
                    state.terms.retain(|sku, _| kept.contains_key(sku));
                }
                "terms" => map.next_value_seed(Terms {
                    state: &mut *state,
                    context: self.context,
                })?,
                "PriceList" => {
                    map.next_value_seed(PriceList {
                        state: &mut *state,
                        context: self.context,
                    })?;
                    state.price_list_seen = true;
                }
                "offerCode" => state.offer.service = map.next_value()?,
                "version" => state.offer.version = map.next_value()?,
                "publicationDate" => state.offer.published = map.next_value()?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        self.context.borrow_mut().clear();
        Ok(())
    }
}

/// `products`: SKU → product, classified as read.
struct Products<'a> {
    kept: &'a mut HashMap<String, (String, Item)>,
    context: &'a RefCell<String>,
}

impl<'de> DeserializeSeed<'de> for Products<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Products<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a map of SKUs to products")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(sku) = map.next_key::<String>()? {
            *self.context.borrow_mut() = format!("products.\"{sku}\"");
            let product: Product = map.next_value()?;
            if let Some(found) = classify(&product.attrs) {
                self.kept.insert(sku, found);
            }
        }
        Ok(())
    }
}

/// `terms`: term type → SKU → offer term code → term; only `OnDemand` is read.
struct Terms<'a> {
    state: &'a mut State,
    context: &'a RefCell<String>,
}

impl<'de> DeserializeSeed<'de> for Terms<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Terms<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a map of term types")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(term_type) = map.next_key::<String>()? {
            if term_type != "OnDemand" {
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            map.next_value_seed(OnDemand {
                state: &mut *self.state,
                context: self.context,
            })?;
        }
        Ok(())
    }
}

struct OnDemand<'a> {
    state: &'a mut State,
    context: &'a RefCell<String>,
}

impl<'de> DeserializeSeed<'de> for OnDemand<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for OnDemand<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a map of SKUs to on-demand terms")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let state = self.state;
        while let Some(sku) = map.next_key::<String>()? {
            if state.products_seen && !state.kept.contains_key(&sku) {
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            *self.context.borrow_mut() = format!("terms.OnDemand.\"{sku}\"");
            let terms: BTreeMap<String, RawTerm> = map.next_value()?;
            let dims = state.terms.entry(sku).or_default();
            dims.extend(
                terms
                    .into_values()
                    .flat_map(|t| t.price_dimensions.into_values()),
            );
        }
        Ok(())
    }
}

/// `PriceList`: get-products' products, each a JSON document in a string.
struct PriceList<'a> {
    state: &'a mut State,
    context: &'a RefCell<String>,
}

impl<'de> DeserializeSeed<'de> for PriceList<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

#[derive(Deserialize)]
struct PriceListItem {
    product: Product,
    #[serde(rename = "serviceCode")]
    service_code: Option<String>,
    #[serde(default)]
    terms: PriceListTerms,
    version: Option<String>,
    #[serde(rename = "publicationDate")]
    publication_date: Option<String>,
}

#[derive(Deserialize, Default)]
struct PriceListTerms {
    /// Offer term code (`SKU.JRTCKXETXF`) → term.
    #[serde(rename = "OnDemand", default)]
    on_demand: BTreeMap<String, RawTerm>,
}

impl<'de> Visitor<'de> for PriceList<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of price list documents (JSON in strings)")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let state = self.state;
        let mut index = 0usize;
        loop {
            let record = format!("PriceList[{index}]");
            *self.context.borrow_mut() = record.clone();
            let Some(text) = seq.next_element::<String>()? else {
                break;
            };
            let item: PriceListItem = serde_json::from_str(&text).map_err(|e| {
                de::Error::custom(format!("not a price list document: {e} (in the string)"))
            })?;
            if index == 0 {
                state.offer.service = item.service_code.clone().unwrap_or_default();
                state.offer.version = item.version.clone().unwrap_or_default();
                state.offer.published = item.publication_date.clone().unwrap_or_default();
            }
            index += 1;
            let Some((region, kind)) = classify(&item.product.attrs) else {
                continue;
            };
            let raw: Vec<RawDim> = item
                .terms
                .on_demand
                .into_values()
                .flat_map(|t| t.price_dimensions.into_values())
                .collect();
            let (dims, other) = usd_dims(raw).map_err(de::Error::custom)?;
            state.other_currency += other;
            if dims.is_empty() {
                continue;
            }
            state.from_price_list.push(Priced {
                region,
                item: kind,
                sku: item.product.sku.unwrap_or_default(),
                offer: 0,
                record,
                dims,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OFFER: &str = r#"{
  "formatVersion" : "v1.0",
  "offerCode" : "AmazonVPC",
  "version" : "20260101000000",
  "publicationDate" : "2026-01-01T00:00:00Z",
  "products" : {
    "AAA" : { "sku" : "AAA", "productFamily" : "VpcPublicIPv4Address",
      "attributes" : { "servicecode" : "AmazonVPC", "regionCode" : "us-west-2", "usagetype" : "USW2-PublicIPv4:InUseAddress", "operation" : "" } },
    "BBB" : { "sku" : "BBB", "productFamily" : "VpcEndpoint",
      "attributes" : { "regionCode" : "us-west-2", "usagetype" : "USW2-VpcEndpoint-Hours" } }
  },
  "terms" : {
    "OnDemand" : {
      "AAA" : { "AAA.JRTCKXETXF" : { "offerTermCode" : "JRTCKXETXF", "sku" : "AAA",
        "priceDimensions" : { "AAA.JRTCKXETXF.6YS6EN2CT7" : { "unit" : "Hrs", "endRange" : "Inf",
          "beginRange" : "0", "pricePerUnit" : { "USD" : "0.0050000000" } } } } },
      "BBB" : { "BBB.JRTCKXETXF" : { "priceDimensions" : { "x" : { "unit" : "Hrs", "pricePerUnit" : { "USD" : "0.01" } } } } }
    }
  }
}"#;

    fn prices(text: &str) -> Result<(Offer, Vec<Priced>), String> {
        let mut out = Vec::new();
        match read(text.as_bytes(), "f.json", 2, &mut out)? {
            Contents::Prices { offer, .. } => Ok((offer, out)),
            Contents::InstanceTypes(_) => panic!("read as instance types"),
        }
    }

    #[test]
    fn offer_files_keep_the_products_natsim_reads() {
        let (offer, out) = prices(OFFER).unwrap();
        assert_eq!(offer.service, "AmazonVPC");
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].item, Item::Ipv4Hour);
        assert_eq!((out[0].offer, out[0].dims[0].usd), (2, 0.005));
        assert_eq!(out[0].record, "products.\"AAA\"");
    }

    #[test]
    fn terms_before_products_give_the_same_prices() {
        let doc: serde_json::Value = serde_json::from_str(OFFER).unwrap();
        let reordered = format!(
            "{{\"terms\": {}, \"products\": {}, \"offerCode\": \"AmazonVPC\"}}",
            doc["terms"], doc["products"]
        );
        let (_, first) = prices(OFFER).unwrap();
        let (_, second) = prices(&reordered).unwrap();
        assert_eq!(first, second);
    }

    #[test]
    fn get_products_output_is_read_string_by_string() {
        let doc = r#"{"product":{"productFamily":"NAT Gateway","attributes":{"regionCode":"eu-west-1","usagetype":"EU-NatGateway-Bytes"},"sku":"CCC"},"serviceCode":"AmazonEC2","terms":{"OnDemand":{"CCC.JRTCKXETXF":{"priceDimensions":{"CCC.JRTCKXETXF.6YS6EN2CT7":{"unit":"GB","endRange":"Inf","beginRange":"0","pricePerUnit":{"USD":"0.0480000000"}}},"sku":"CCC","offerTermCode":"JRTCKXETXF"}}},"version":"20260101000000","publicationDate":"2026-01-01T00:00:00Z"}"#;
        let text = format!(
            "{{\"FormatVersion\": \"aws_v1\", \"PriceList\": [{}]}}",
            serde_json::to_string(doc).unwrap()
        );
        let (offer, out) = prices(&text).unwrap();
        assert_eq!(offer.service, "AmazonEC2");
        assert_eq!(out[0].item, Item::NatGatewayGb);
        assert_eq!(out[0].dims[0].usd, 0.048);
        let broken = text.replace("0.0480000000", "lots");
        let err = prices(&broken).unwrap_err();
        assert!(
            err.starts_with("PriceList[0]: pricePerUnit.USD \"lots\""),
            "{err}"
        );
    }

    #[test]
    fn broken_files_name_the_record() {
        let err = prices(&OFFER.replace("\"0.0050000000\"", "5")).unwrap_err();
        assert!(err.starts_with("terms.OnDemand.\"AAA\":"), "{err}");
        assert!(err.contains("line"), "{err}");
        let err = prices(&OFFER[..OFFER.len() / 2]).unwrap_err();
        assert!(err.contains("EOF") || err.contains("line"), "{err}");
        let err = prices("{\"Reservations\": []}").unwrap_err();
        assert!(err.contains("top-level keys: Reservations"), "{err}");
        let err = prices("[1, 2]").unwrap_err();
        assert!(err.starts_with("not valid JSON"), "{err}");
    }
}
