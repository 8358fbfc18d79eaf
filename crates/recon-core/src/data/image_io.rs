//! PNG and JPEG images as one `height × width` matrix per channel (grey: 1, colour: 3), values 0..255.

use std::path::Path;

use faer::Mat;

use super::{open_file, write_atomic};
use crate::{Error, Result};

/// An 8-bit image as floating-point channels.
#[derive(Debug, Clone)]
pub struct Image {
    /// One `height × width` matrix per channel, values in 0..=255.
    pub channels: Vec<Mat<f64>>,
}

impl Image {
    /// Image height in pixels.
    pub fn height(&self) -> usize {
        self.channels[0].nrows()
    }
    /// Image width in pixels.
    pub fn width(&self) -> usize {
        self.channels[0].ncols()
    }
    /// The image as it will be stored in 8 bits: rounded and clamped to 0..=255.
    pub fn quantized(&self) -> Image {
        let (h, w) = (self.height(), self.width());
        let channels =
            self.channels.iter().map(|m| Mat::from_fn(h, w, |i, j| m[(i, j)].round().clamp(0.0, 255.0))).collect();
        Image { channels }
    }
    /// Mean squared error against `other` over every pixel and channel.
    #[track_caller]
    pub fn mse(&self, other: &Image) -> f64 {
        assert_eq!(self.channels.len(), other.channels.len(), "channel count differs");
        let mut sum = 0.0;
        for (a, b) in self.channels.iter().zip(&other.channels) {
            sum += crate::Residuals::new(a.as_ref(), b.as_ref()).total_squared_error();
        }
        sum / (self.height() * self.width() * self.channels.len()) as f64
    }
}

/// Loads a PNG or JPEG file. Colour images give 3 channels (alpha is dropped), grey images 1.
pub fn load_image(path: &Path) -> Result<Image> {
    let file = open_file(path)?;
    let reader =
        image::ImageReader::new(std::io::BufReader::new(file)).with_guessed_format().map_err(|e| Error::io(path, e))?;
    let img = reader
        .decode()
        .map_err(|e| Error::Corrupt { path: path.to_path_buf(), reason: format!("cannot decode image ({e})") })?;
    let (w, h) = (img.width() as usize, img.height() as usize);
    if w == 0 || h == 0 {
        return Err(Error::Empty { what: path.display().to_string(), reason: "image has no pixels".into() });
    }
    let channels = if img.color().has_color() {
        let rgb = img.to_rgb8();
        (0..3).map(|c| Mat::from_fn(h, w, |i, j| rgb.get_pixel(j as u32, i as u32)[c] as f64)).collect()
    } else {
        let l = img.to_luma8();
        vec![Mat::from_fn(h, w, |i, j| l.get_pixel(j as u32, i as u32)[0] as f64)]
    };
    Ok(Image { channels })
}

/// Rounds and clamps channels to 8 bits and writes a PNG atomically.
pub fn write_png(path: &Path, img: &Image) -> Result<()> {
    write_atomic(path, &png_bytes(img)?)
}

/// Rounds and clamps channels to 8 bits and encodes them as PNG bytes in memory.
pub fn png_bytes(img: &Image) -> Result<Vec<u8>> {
    let (h, w) = (img.height(), img.width());
    let q = |v: f64| v.round().clamp(0.0, 255.0) as u8;
    let encoded = match img.channels.len() {
        1 => {
            let buf = image::GrayImage::from_fn(w as u32, h as u32, |x, y| {
                image::Luma([q(img.channels[0][(y as usize, x as usize)])])
            });
            image::DynamicImage::ImageLuma8(buf)
        }
        3 => {
            let buf = image::RgbImage::from_fn(w as u32, h as u32, |x, y| {
                let p = |c: usize| q(img.channels[c][(y as usize, x as usize)]);
                image::Rgb([p(0), p(1), p(2)])
            });
            image::DynamicImage::ImageRgb8(buf)
        }
        n => return Err(Error::invalid("image", format!("{n} channels (expected 1 or 3)"))),
    };
    let mut bytes = Vec::new();
    encoded
        .write_to(&mut std::io::Cursor::new(&mut bytes), image::ImageFormat::Png)
        .map_err(|e| Error::io("<png encoder>", std::io::Error::other(e)))?;
    Ok(bytes)
}
