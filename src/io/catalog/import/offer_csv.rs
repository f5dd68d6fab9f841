//! AWS Price List CSV files (the bulk offer files, `index.csv`): five metadata rows, a header row
//! starting with `"SKU"`, then one row per price dimension.
//!
//! Owns reading that format a record at a time (quoted fields, `""` escapes, a quoted field that
//! spans lines), so a file of several GB is never held in memory. Only `OnDemand` rows of the
//! products [`classify`] picks are kept. Every error names the line (and the SKU when known).

use super::price::{Attrs, Dim, Field, Offer, Priced, classify, number};
use std::io::BufRead;

/// Metadata rows read before the header must have appeared.
const MAX_METADATA_ROWS: usize = 20;

/// Reads the CSV in `reader` into `out` (`offer` is this file's index among the import's
/// offers). Returns the file's offer details and how many kept rows were not priced in USD.
pub(super) fn read(
    reader: impl BufRead,
    file: &str,
    offer: usize,
    out: &mut Vec<Priced>,
) -> Result<(Offer, u64), String> {
    let mut records = Records {
        reader,
        line: 0,
        buf: String::new(),
    };
    let mut meta = Offer {
        file: file.to_string(),
        ..Offer::default()
    };
    let header = loop {
        let Some((line, fields)) = records.next()? else {
            return Err("ends before its header row (\"SKU\",\"OfferTermCode\",...): not an AWS Price List CSV".into());
        };
        if fields.first().is_some_and(|f| f == "SKU") {
            break Header::new(&fields, line)?;
        }
        if line as usize > MAX_METADATA_ROWS {
            return Err(format!(
                "no header row starting with \"SKU\" in its first {MAX_METADATA_ROWS} lines: not an AWS Price List CSV"
            ));
        }
        let value = fields.get(1).cloned().unwrap_or_default();
        match fields.first().map(String::as_str) {
            Some("OfferCode") => meta.service = value,
            Some("Version") => meta.version = value,
            Some("Publication Date") => meta.published = value,
            _ => {}
        }
    };
    let mut other_currency = 0;
    while let Some((line, fields)) = records.next()? {
        if fields.len() == 1 && fields[0].is_empty() {
            continue;
        }
        if fields.len() != header.width {
            return Err(format!(
                "line {line}: {} fields where the header (line {}) has {}: the file is cut short or is not AWS's CSV",
                fields.len(),
                header.line,
                header.width
            ));
        }
        if fields[header.term_type] != "OnDemand" {
            continue;
        }
        let mut attrs = Attrs::default();
        for &(index, field) in &header.attributes {
            attrs.set(field, fields[index].clone());
        }
        let Some((region, item)) = classify(&attrs) else {
            continue;
        };
        let sku = fields[header.sku].clone();
        let at = |problem: String| format!("line {line} (SKU {sku}): {problem}");
        if fields[header.currency] != "USD" {
            other_currency += 1;
            continue;
        }
        let range = |index: Option<usize>, default: f64, what: &str| match index {
            Some(i) if !fields[i].is_empty() => number(&fields[i], what),
            _ => Ok(default),
        };
        let dim = Dim {
            unit: fields[header.unit].clone(),
            usd: number(&fields[header.price], "PricePerUnit").map_err(at)?,
            begin: range(header.begin, 0.0, "StartingRange").map_err(at)?,
            end: range(header.end, f64::INFINITY, "EndingRange").map_err(at)?,
        };
        out.push(Priced {
            region,
            item,
            sku,
            offer,
            record: format!("line {line}"),
            dims: vec![dim],
        });
    }
    Ok((meta, other_currency))
}

/// Where the columns natsim reads are.
struct Header {
    line: u64,
    width: usize,
    sku: usize,
    term_type: usize,
    unit: usize,
    price: usize,
    currency: usize,
    begin: Option<usize>,
    end: Option<usize>,
    attributes: Vec<(usize, Field)>,
}

impl Header {
    fn new(fields: &[String], line: u64) -> Result<Header, String> {
        let find = |name: &str| fields.iter().position(|f| f == name);
        let need = |name: &str| {
            find(name).ok_or_else(|| {
                format!("line {line}: the header has no {name:?} column: not an AWS Price List CSV")
            })
        };
        Ok(Header {
            line,
            width: fields.len(),
            sku: need("SKU")?,
            term_type: need("TermType")?,
            unit: need("Unit")?,
            price: need("PricePerUnit")?,
            currency: need("Currency")?,
            begin: find("StartingRange"),
            end: find("EndingRange"),
            attributes: fields
                .iter()
                .enumerate()
                .filter_map(|(i, name)| Field::of(name).map(|field| (i, field)))
                .collect(),
        })
    }
}

/// CSV records read one at a time.
struct Records<R> {
    reader: R,
    line: u64,
    buf: String,
}

impl<R: BufRead> Records<R> {
    /// The next record and the line it starts on; `None` at the end.
    fn next(&mut self) -> Result<Option<(u64, Vec<String>)>, String> {
        self.buf.clear();
        if !self.read_line()? {
            return Ok(None);
        }
        let start = self.line;
        let mut fields = Vec::new();
        let mut field = String::new();
        let mut quoted = false;
        let mut at_field_start = true;
        let mut pos = 0;
        loop {
            let rest = &self.buf[pos..];
            let Some(c) = rest.chars().next() else {
                if quoted {
                    // A quoted field goes on on the next line.
                    field.push('\n');
                    pos = self.buf.len();
                    if !self.read_line()? {
                        return Err(format!(
                            "line {start}: a quoted field is not closed before the end of the file"
                        ));
                    }
                    continue;
                }
                fields.push(std::mem::take(&mut field));
                return Ok(Some((start, fields)));
            };
            pos += c.len_utf8();
            match (quoted, c) {
                (false, '"') if at_field_start => quoted = true,
                (true, '"') if self.buf[pos..].starts_with('"') => {
                    field.push('"');
                    pos += 1;
                }
                (true, '"') => quoted = false,
                (false, ',') => {
                    fields.push(std::mem::take(&mut field));
                    at_field_start = true;
                    continue;
                }
                (_, c) => field.push(c),
            }
            at_field_start = false;
        }
    }

    /// Appends the next line without its line ending; false at the end of the file.
    fn read_line(&mut self) -> Result<bool, String> {
        let before = self.buf.len();
        let read = self.reader.read_line(&mut self.buf).map_err(|e| {
            format!(
                "line {}: cannot read: {e} (is it UTF-8 text?)",
                self.line + 1
            )
        })?;
        if read == 0 {
            return Ok(false);
        }
        self.line += 1;
        while self.buf.len() > before && (self.buf.ends_with('\n') || self.buf.ends_with('\r')) {
            self.buf.pop();
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(text: &str) -> Vec<Vec<String>> {
        let mut r = Records {
            reader: text.as_bytes(),
            line: 0,
            buf: String::new(),
        };
        let mut out = Vec::new();
        while let Some((_, fields)) = r.next().unwrap() {
            out.push(fields);
        }
        out
    }

    #[test]
    fn quoted_fields_escapes_and_line_breaks() {
        assert_eq!(
            records("\"a\",\"b,c\",,\"say \"\"hi\"\"\"\r\nx,\"two\nlines\",z\n"),
            vec![
                vec!["a", "b,c", "", "say \"hi\""],
                vec!["x", "two\nlines", "z"]
            ]
        );
    }

    const CSV: &str = "\"FormatVersion\",\"v1.0\"
\"Disclaimer\",\"x\"
\"Publication Date\",\"2026-01-01T00:00:00Z\"
\"Version\",\"20260101000000\"
\"OfferCode\",\"AmazonEC2\"
\"SKU\",\"OfferTermCode\",\"RateCode\",\"TermType\",\"PriceDescription\",\"EffectiveDate\",\"StartingRange\",\"EndingRange\",\"Unit\",\"PricePerUnit\",\"Currency\",\"Product Family\",\"usageType\",\"Region Code\"
\"S1\",\"JRTCKXETXF\",\"S1.JRTCKXETXF.6YS6EN2CT7\",\"OnDemand\",\"$0.045 per NAT Gateway Hour\",\"2026-01-01\",\"0\",\"Inf\",\"Hrs\",\"0.0450000000\",\"USD\",\"NAT Gateway\",\"USW2-NatGateway-Hours\",\"us-west-2\"
\"S2\",\"4NA7Y494T4\",\"S2.4NA7Y494T4.6YS6EN2CT7\",\"Reserved\",\"x\",\"2026-01-01\",\"0\",\"Inf\",\"Hrs\",\"0.01\",\"USD\",\"NAT Gateway\",\"USW2-NatGateway-Hours\",\"us-west-2\"
";

    #[test]
    fn on_demand_rows_of_known_products_are_kept_with_the_offer() {
        let mut out = Vec::new();
        let (offer, other) = read(CSV.as_bytes(), "ec2.csv", 0, &mut out).unwrap();
        assert_eq!(
            (offer.service.as_str(), offer.version.as_str(), other),
            ("AmazonEC2", "20260101000000", 0)
        );
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].record, "line 7");
        assert_eq!(out[0].dims[0].usd, 0.045);
        assert_eq!(out[0].dims[0].end, f64::INFINITY);
    }

    #[test]
    fn broken_rows_name_the_line_and_sku() {
        let bad_price = CSV.replace("\"0.0450000000\"", "\"zero\"");
        let err = read(bad_price.as_bytes(), "f", 0, &mut Vec::new()).unwrap_err();
        assert!(
            err.starts_with("line 7 (SKU S1): PricePerUnit \"zero\""),
            "{err}"
        );
        let cut = &CSV[..CSV.len() - 40];
        let err = read(cut.as_bytes(), "f", 0, &mut Vec::new()).unwrap_err();
        assert!(err.starts_with("line 8"), "{err}");
        let err = read("a,b\nc,d\n".as_bytes(), "f", 0, &mut Vec::new()).unwrap_err();
        assert!(err.contains("not an AWS Price List CSV"), "{err}");
    }
}
