//! `/`: the public dashboard's home page, in the language the reader chose last
//! (French by default). The page itself lives with the other pages in [`crate::pages`].

pub(crate) use crate::pages::landing as page;
