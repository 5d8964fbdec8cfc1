//! Charts of the figures as SVG text (R-29), drawn with `plotters` through its SVG backend
//! only (the `charts` feature).
//!
//! - [`referrals_by_month`]: referrals received each month, stacked by assessed risk;
//! - [`waiting_times`]: how many waited how long from referral to first allocation;
//! - [`risk_trajectory`]: one case's risk at the referral and at each review.
//!
//! Each returns a complete SVG document. The charts draw exact counts, for the service's own
//! use: a chart cannot show `<5`, so before one leaves the service, check that the published
//! table it comes from hides nothing ([`casework_core::read::figures::Figures::publish`]), or
//! send the table instead.
//!
//! ```
//! use casework_core::read::figures::{Figures, ReportInputs, ReportRequest};
//! use chrono::{NaiveDate, TimeZone, Utc};
//!
//! let day = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
//! let figures = Figures::compute(
//!     &ReportRequest::new(day(1, 1), day(4, 1)),
//!     ReportInputs::default(),
//!     Utc.with_ymd_and_hms(2026, 4, 1, 9, 0, 0).unwrap(),
//! );
//! let svg = casework_service::charts::referrals_by_month(&figures.referrals.by_month_and_risk)
//!     .unwrap();
//! assert!(svg.starts_with("<svg") && svg.contains("Mar 2026"));
//! ```

use casework_core::policy::risk::RiskLevel;
use casework_core::read::figures::{Breakdown, CrossTable};
use casework_core::read::report::RiskTrajectory;
use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;
use thiserror::Error;

/// A chart could not be drawn.
#[derive(Debug, Error)]
#[error("the chart could not be drawn: {0}")]
pub struct ChartError(String);

fn failed<E: std::fmt::Display>(e: E) -> ChartError {
    ChartError(e.to_string())
}

const SIZE: (u32, u32) = (900, 480);

/// The colour of a risk column (`high`, `medium`, `low`, anything else).
fn risk_colour(key: &str) -> RGBColor {
    match key {
        "high" => RGBColor(192, 57, 43),
        "medium" => RGBColor(230, 145, 56),
        "low" => RGBColor(76, 153, 92),
        _ => RGBColor(150, 150, 150),
    }
}

/// Referrals each month stacked by assessed risk, from
/// [`casework_core::read::figures::ReferralFigures::by_month_and_risk`].
///
/// # Errors
///
/// `ChartError` (no stable code: it is not an `ErrorCode`) when `plotters` fails to draw into the
/// SVG text.
pub fn referrals_by_month(table: &CrossTable) -> Result<String, ChartError> {
    // "Mar 2026": month names in full overlap on a year's chart.
    let labels: Vec<String> = table
        .rows
        .iter()
        .map(|h| match h.label.split_once(' ') {
            Some((month, year)) => {
                format!("{} {year}", month.chars().take(3).collect::<String>())
            }
            None => h.label.clone(),
        })
        .collect();
    let series: Vec<Series> = table
        .columns
        .iter()
        .enumerate()
        .map(|(j, column)| Series {
            label: Some(column.label.clone()),
            colour: risk_colour(&column.key),
            values: table.cells.iter().map(|row| row[j]).collect(),
        })
        .collect();
    bars(
        "Referrals received each month, by assessed risk",
        "Referrals",
        &labels,
        &series,
    )
}

/// How many waited how long from referral to first allocation, from
/// [`casework_core::read::figures::WaitingFigures::distribution`].
///
/// # Errors
///
/// `ChartError` (no stable code: it is not an `ErrorCode`) when `plotters` fails to draw into the
/// SVG text.
pub fn waiting_times(distribution: &Breakdown) -> Result<String, ChartError> {
    let labels: Vec<String> = distribution
        .categories
        .iter()
        .map(|c| c.label.clone())
        .collect();
    let series = Series {
        label: None,
        colour: RGBColor(52, 101, 164),
        values: distribution.categories.iter().map(|c| c.count).collect(),
    };
    bars(
        "Waiting time from referral to allocation",
        "Cases allocated",
        &labels,
        &[series],
    )
}

/// One stack of a bar chart: a value per bar, its colour and, for the legend, its label.
struct Series {
    label: Option<String>,
    colour: RGBColor,
    values: Vec<u32>,
}

/// A bar per label, each stacking the series' values in order.
fn bars(
    caption: &str,
    y_desc: &str,
    labels: &[String],
    series: &[Series],
) -> Result<String, ChartError> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(failed)?;
        let n = labels.len();
        let top = (0..n)
            .map(|i| series.iter().map(|s| s.values[i]).sum::<u32>())
            .max()
            .unwrap_or(0)
            .max(1);
        let mut chart = ChartBuilder::on(&root)
            .caption(caption, ("sans-serif", 22))
            .margin(16)
            .x_label_area_size(48)
            .y_label_area_size(48)
            .build_cartesian_2d((0..n).into_segmented(), 0u32..top + top / 5 + 1)
            .map_err(failed)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(n.max(1))
            .x_label_formatter(&|v| match v {
                SegmentValue::CenterOf(i) => labels.get(*i).cloned().unwrap_or_default(),
                _ => String::new(),
            })
            .y_desc(y_desc)
            .draw()
            .map_err(failed)?;
        let mut below = vec![0u32; n];
        for s in series {
            let colour = s.colour;
            let stacked: Vec<Rectangle<(SegmentValue<usize>, u32)>> = (0..n)
                .filter(|i| s.values[*i] > 0)
                .map(|i| {
                    let from = below[i];
                    below[i] = from + s.values[i];
                    let mut bar = Rectangle::new(
                        [
                            (SegmentValue::Exact(i), from),
                            (SegmentValue::Exact(i + 1), below[i]),
                        ],
                        colour.filled(),
                    );
                    bar.set_margin(0, 0, 6, 6);
                    bar
                })
                .collect();
            let drawn = chart.draw_series(stacked).map_err(failed)?;
            if let Some(label) = &s.label {
                drawn.label(label.clone()).legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 12, y + 5)], colour.filled())
                });
            }
        }
        if series.iter().any(|s| s.label.is_some()) {
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.8))
                .border_style(BLACK)
                .position(SeriesLabelPosition::UpperRight)
                .draw()
                .map_err(failed)?;
        }
        root.present().map_err(failed)?;
    }
    Ok(svg)
}

fn level_value(level: RiskLevel) -> f64 {
    match level {
        RiskLevel::Low => 1.0,
        RiskLevel::Medium => 2.0,
        RiskLevel::High => 3.0,
    }
}

/// One case's risk at the referral and at each review (from
/// [`casework_core::read::report::risk_trajectory`]): the level that applied, joined by a line,
/// and the tool's computed level as a hollow marker where a worker overrode it (R-21).
///
/// # Errors
///
/// `ChartError` (no stable code: it is not an `ErrorCode`) when `plotters` fails to draw into the
/// SVG text.
pub fn risk_trajectory(trajectory: &RiskTrajectory) -> Result<String, ChartError> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(failed)?;
        let first = trajectory.points.first().map(|p| p.at);
        let day = |at: chrono::DateTime<chrono::Utc>| {
            first.map_or(0.0, |f| (at - f).num_seconds() as f64 / 86_400.0)
        };
        let span = trajectory.points.last().map_or(1.0, |p| day(p.at)).max(1.0);
        let mut chart = ChartBuilder::on(&root)
            .caption("Risk at referral and at each review", ("sans-serif", 22))
            .margin(16)
            .x_label_area_size(48)
            .y_label_area_size(72)
            .build_cartesian_2d(-span * 0.05..span * 1.05, 0.5f64..3.5f64)
            .map_err(failed)?;
        let date_of = |d: &f64| {
            first.map_or(String::new(), |f| {
                (f + chrono::Duration::seconds((d * 86_400.0) as i64))
                    .format("%-d %b %Y")
                    .to_string()
            })
        };
        chart
            .configure_mesh()
            .y_labels(3)
            .y_label_formatter(&|v| match v.round() as i64 {
                1 => "Low".into(),
                2 => "Medium".into(),
                3 => "High".into(),
                _ => String::new(),
            })
            .x_label_formatter(&date_of)
            .x_labels(6)
            .draw()
            .map_err(failed)?;
        let points: Vec<(f64, f64)> = trajectory
            .points
            .iter()
            .map(|p| (day(p.at), level_value(p.level)))
            .collect();
        let line = RGBColor(52, 101, 164);
        chart
            .draw_series(LineSeries::new(points.clone(), line.stroke_width(3)))
            .map_err(failed)?
            .label("Level that applied")
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 16, y)], line.stroke_width(3))
            });
        chart
            .draw_series(
                trajectory
                    .points
                    .iter()
                    .map(|p| Circle::new((day(p.at), level_value(p.level)), 6, line.filled())),
            )
            .map_err(failed)?;
        let computed = RGBColor(120, 120, 120);
        chart
            .draw_series(
                trajectory
                    .points
                    .iter()
                    .filter(|p| p.computed != p.level)
                    .map(|p| {
                        Circle::new(
                            (day(p.at), level_value(p.computed)),
                            7,
                            computed.stroke_width(2),
                        )
                    }),
            )
            .map_err(failed)?
            .label("Computed by the tool, where overridden")
            .legend(move |(x, y)| Circle::new((x + 8, y), 5, computed.stroke_width(2)));
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .position(SeriesLabelPosition::LowerRight)
            .draw()
            .map_err(failed)?;
        root.present().map_err(failed)?;
    }
    Ok(svg)
}
