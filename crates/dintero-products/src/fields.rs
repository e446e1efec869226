//! The writable fields of a product, one by one: what a job *manages* (reads from its source and
//! writes) and what it leaves as Dintero holds it.
//!
//! A job never changes a field its source does not name. [`NewProduct::get_managed_fields`] says
//! which fields a desired product names; [`ProductUpdate::set_from`] copies exactly one of them,
//! so a write built from the product Dintero holds, with the managed fields copied in, keeps
//! every other field as it was.
//!
//! [`NewProduct::get_managed_fields`]: crate::NewProduct::get_managed_fields
//! [`ProductUpdate::set_from`]: crate::ProductUpdate::set_from

use std::fmt;
use std::ops::{BitOr, BitOrAssign};

/// A writable field of a product. The five parts of `dimension` are fields of their own, so a
/// file with a `dimension_color` column changes the colour and keeps the size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Field {
    /// `product_name`
    Name,
    /// `description`
    Description,
    /// `unit_gross_price` and `currency`, together: an amount means nothing without its currency
    Price,
    /// `unit`
    Unit,
    /// `is_virtual_product`
    Virtual,
    /// `starting_at`
    StartingAt,
    /// `stopping_at`
    StoppingAt,
    /// `dimension.color`
    DimensionColor,
    /// `dimension.config`
    DimensionConfig,
    /// `dimension.size`
    DimensionSize,
    /// `dimension.style`
    DimensionStyle,
    /// `dimension.variant`
    DimensionVariant,
    /// `images`
    Images,
    /// `locations`
    Locations,
    /// `groups`: the ids of the groups the product is in
    Groups,
}

impl Field {
    /// Every field, in the order plans and files name them.
    pub const ALL: [Field; 15] = [
        Field::Name,
        Field::Description,
        Field::Price,
        Field::Unit,
        Field::Virtual,
        Field::StartingAt,
        Field::StoppingAt,
        Field::DimensionColor,
        Field::DimensionConfig,
        Field::DimensionSize,
        Field::DimensionStyle,
        Field::DimensionVariant,
        Field::Images,
        Field::Locations,
        Field::Groups,
    ];

    /// The five parts of `dimension`.
    pub const DIMENSION: [Field; 5] = [
        Field::DimensionColor,
        Field::DimensionConfig,
        Field::DimensionSize,
        Field::DimensionStyle,
        Field::DimensionVariant,
    ];

    /// The field's short name, as plans print it: `name`, `price`, `dimension.color`, ...
    pub fn name(self) -> &'static str {
        match self {
            Field::Name => "name",
            Field::Description => "description",
            Field::Price => "price",
            Field::Unit => "unit",
            Field::Virtual => "virtual",
            Field::StartingAt => "starting_at",
            Field::StoppingAt => "stopping_at",
            Field::DimensionColor => "dimension.color",
            Field::DimensionConfig => "dimension.config",
            Field::DimensionSize => "dimension.size",
            Field::DimensionStyle => "dimension.style",
            Field::DimensionVariant => "dimension.variant",
            Field::Images => "images",
            Field::Locations => "locations",
            Field::Groups => "groups",
        }
    }

    fn bit(self) -> u16 {
        1 << self as u16
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A set of [`Field`]s, two bytes.
///
/// ```
/// use dintero_products::{Field, FieldSet};
///
/// let prices = FieldSet::from_iter([Field::Price]);
/// assert!(prices.contains(Field::Price) && !prices.contains(Field::Name));
/// assert_eq!((prices | Field::Name).len(), 2);
/// assert!(FieldSet::ALL.contains(Field::Groups));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct FieldSet(u16);

impl FieldSet {
    /// No field.
    pub const EMPTY: FieldSet = FieldSet(0);
    /// Every field: a source that states each product whole.
    pub const ALL: FieldSet = FieldSet((1 << Field::ALL.len()) - 1);

    /// Adds `field`.
    pub fn insert(&mut self, field: Field) {
        self.0 |= field.bit();
    }

    /// Removes `field`.
    pub fn remove(&mut self, field: Field) {
        self.0 &= !field.bit();
    }

    /// Whether `field` is in the set.
    pub fn contains(&self, field: Field) -> bool {
        self.0 & field.bit() != 0
    }

    /// The fields in both sets.
    pub fn intersection(self, other: FieldSet) -> FieldSet {
        FieldSet(self.0 & other.0)
    }

    /// The fields in the set, in the order of [`Field::ALL`].
    pub fn iter(&self) -> impl Iterator<Item = Field> + '_ {
        Field::ALL.into_iter().filter(|f| self.contains(*f))
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.0 == 0
    }

    /// How many fields the set holds.
    pub fn len(&self) -> usize {
        self.0.count_ones() as usize
    }
}

impl fmt::Debug for FieldSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl FromIterator<Field> for FieldSet {
    fn from_iter<I: IntoIterator<Item = Field>>(fields: I) -> Self {
        let mut set = FieldSet::EMPTY;
        for field in fields {
            set.insert(field);
        }
        set
    }
}

impl From<Field> for FieldSet {
    fn from(field: Field) -> Self {
        FieldSet(field.bit())
    }
}

impl BitOr<Field> for FieldSet {
    type Output = FieldSet;
    fn bitor(mut self, field: Field) -> FieldSet {
        self.insert(field);
        self
    }
}

impl BitOr for FieldSet {
    type Output = FieldSet;
    fn bitor(self, other: FieldSet) -> FieldSet {
        FieldSet(self.0 | other.0)
    }
}

impl BitOrAssign<Field> for FieldSet {
    fn bitor_assign(&mut self, field: Field) {
        self.insert(field);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Plans and errors print a field by its short name; each names one field.
    #[test]
    fn fields_print_as_their_names() {
        assert_eq!(Field::DimensionColor.to_string(), "dimension.color");
        let names: std::collections::BTreeSet<String> =
            Field::ALL.iter().map(ToString::to_string).collect();
        assert_eq!(names.len(), Field::ALL.len());
        for field in Field::ALL {
            assert_eq!(field.to_string(), field.name());
        }
    }

    #[test]
    fn a_set_holds_exactly_what_was_put_in() {
        let mut set = FieldSet::EMPTY;
        assert!(set.is_empty());
        for (i, field) in Field::ALL.into_iter().enumerate() {
            set.insert(field);
            assert_eq!(set.len(), i + 1);
            assert!(set.contains(field));
        }
        assert_eq!(set, FieldSet::ALL);
        set.remove(Field::Price);
        assert!(!set.contains(Field::Price));
        assert_eq!(set.len(), Field::ALL.len() - 1);
        assert_eq!(
            set.intersection(FieldSet::from_iter([Field::Price, Field::Name])),
            FieldSet::from(Field::Name)
        );
        assert_eq!(
            format!("{:?}", FieldSet::from(Field::Name) | Field::Groups),
            "{Name, Groups}"
        );
    }

    proptest::proptest! {
        /// Any run of inserts and removes, repeats included, leaves the set a `BTreeSet` would
        /// hold, and every way of combining sets agrees with it.
        #[test]
        fn a_set_behaves_as_a_set(
            ops in proptest::collection::vec((proptest::bool::ANY, 0..Field::ALL.len()), 0..40),
            other in proptest::collection::vec(0..Field::ALL.len(), 0..8),
        ) {
            let mut set = FieldSet::EMPTY;
            let mut model = std::collections::BTreeSet::new();
            for (insert, i) in ops {
                let field = Field::ALL[i];
                if insert {
                    set.insert(field);
                    model.insert(field);
                } else {
                    set.remove(field);
                    model.remove(&field);
                }
                proptest::prop_assert_eq!(set.iter().collect::<Vec<_>>(), model.iter().copied().collect::<Vec<_>>());
                proptest::prop_assert_eq!(set.len(), model.len());
                proptest::prop_assert_eq!(set.is_empty(), model.is_empty());
            }
            let other_model: std::collections::BTreeSet<Field> = other.iter().map(|&i| Field::ALL[i]).collect();
            let other_set = FieldSet::from_iter(other_model.iter().copied());
            let both: Vec<Field> = model.intersection(&other_model).copied().collect();
            let either: Vec<Field> = model.union(&other_model).copied().collect();
            proptest::prop_assert_eq!(set.intersection(other_set).iter().collect::<Vec<_>>(), both);
            proptest::prop_assert_eq!((set | other_set).iter().collect::<Vec<_>>(), either.clone());
            let mut grown = set;
            for field in &other_model {
                grown |= *field;
            }
            proptest::prop_assert_eq!(grown.iter().collect::<Vec<_>>(), either);
        }
    }

    #[test]
    fn names_are_distinct() {
        let mut names: Vec<_> = Field::ALL.iter().map(|f| f.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Field::ALL.len());
    }
}
