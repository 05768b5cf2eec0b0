//! `[plugins.id_card]`: the plugin's settings, with OWUMS' defaults.

use std::time::Duration;

use owums_core::Result;
use owums_core::plugin::{parse_settings, setting_error};
use serde::Deserialize;

use crate::ID;

/// The settings of `[plugins.id_card]` in `plugins.toml`; every key is optional.
///
/// ```toml
/// [plugins.id_card]
/// enabled = true
/// max_upload_bytes = 10485760    # 10 MiB: a phone's photo
/// max_source_megapixels = 40     # larger pictures are refused before they are decoded
/// photo_width = 800              # the kept photo fits 800×600 (OWUMS)
/// photo_height = 600
/// thumbnail_width = 100          # the thumbnail is 100 pixels wide (OWUMS)
/// jpeg_quality = 85
/// unverified_deactivate_hours = 24
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IdCardConfig {
    /// Largest upload accepted, in bytes (1 KiB to 32 MiB).
    pub max_upload_bytes: u64,
    /// Largest picture decoded, in millions of pixels (1 to 100): the decoded picture
    /// takes up to 4 bytes per pixel, so this bounds the memory one upload can take.
    pub max_source_megapixels: u32,
    /// Width of the box the kept photo fits in (100 to 4000).
    pub photo_width: u32,
    /// Height of the box the kept photo fits in (100 to 4000).
    pub photo_height: u32,
    /// Width of the thumbnail (16 to 400, at most `photo_width`).
    pub thumbnail_width: u32,
    /// JPEG quality of the kept photo and thumbnail (50 to 100).
    pub jpeg_quality: u8,
    /// Hours after which a subscriber of this method left unverified (created, but the
    /// operator's check never recorded) is switched off; never deleted (1 to 8760).
    pub unverified_deactivate_hours: u64,
}

impl Default for IdCardConfig {
    fn default() -> Self {
        IdCardConfig {
            max_upload_bytes: 10 * 1024 * 1024,
            max_source_megapixels: 40,
            photo_width: 800,
            photo_height: 600,
            thumbnail_width: 100,
            jpeg_quality: 85,
            unverified_deactivate_hours: 24,
        }
    }
}

impl IdCardConfig {
    /// Reads the settings from the plugin's table (as JSON).
    ///
    /// # Errors
    ///
    /// A configuration error naming the key (`plugins.id_card: unknown field …`).
    pub fn from_json(settings: serde_json::Value) -> Result<Self> {
        parse_settings(ID, settings)
    }

    /// Checks every value's range.
    ///
    /// # Errors
    ///
    /// A configuration error naming the key (`plugins.id_card.jpeg_quality: …`).
    pub fn validate(&self) -> Result<()> {
        let range = |key: &str, value: u64, min: u64, max: u64| {
            if (min..=max).contains(&value) {
                Ok(())
            } else {
                Err(setting_error(
                    ID,
                    key,
                    format!("must be between {min} and {max}"),
                ))
            }
        };
        range(
            "max_upload_bytes",
            self.max_upload_bytes,
            1024,
            32 * 1024 * 1024,
        )?;
        range(
            "max_source_megapixels",
            self.max_source_megapixels.into(),
            1,
            100,
        )?;
        range("photo_width", self.photo_width.into(), 100, 4000)?;
        range("photo_height", self.photo_height.into(), 100, 4000)?;
        range("thumbnail_width", self.thumbnail_width.into(), 16, 400)?;
        if self.thumbnail_width > self.photo_width {
            return Err(setting_error(
                ID,
                "thumbnail_width",
                "must be at most photo_width",
            ));
        }
        range("jpeg_quality", self.jpeg_quality.into(), 50, 100)?;
        range(
            "unverified_deactivate_hours",
            self.unverified_deactivate_hours,
            1,
            8760,
        )?;
        Ok(())
    }

    /// How long an unverified subscriber of this method stays on.
    pub fn unverified_window(&self) -> Duration {
        Duration::from_secs(self.unverified_deactivate_hours * 3600)
    }
}
