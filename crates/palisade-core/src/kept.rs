//! What the inventory stage reads: the objects a rule (group) kept, and the models built from them
//! once per scan and group (the RBAC authorizer, the NetworkPolicy model).

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::ops::Deref;
use std::sync::{Arc, Mutex, OnceLock};

use crate::object::Object;
use crate::rule::Context;

/// A model several rules read, built from what their group kept. Models own (share) the kept
/// objects, so a model that borrows from them is built as a self-referential cell.
pub trait Model: Any + Send + Sync + Sized {
    fn build(cx: &Context<'_>, kept: &[Arc<Object>]) -> Self;
}

type Slot = Arc<OnceLock<Arc<dyn Any + Send + Sync>>>;

/// The models built for one group, one per model type, each built by the first rule that asks
/// (rules refine in parallel: a second asker waits for the first build instead of repeating it).
#[derive(Default)]
pub struct Models {
    slots: Mutex<HashMap<TypeId, Slot>>,
}

/// What one rule group kept of every object, in scan order; derefs to the objects.
pub struct Kept<'a> {
    shared: &'a [Arc<Object>],
    objects: Vec<&'a Object>,
    models: &'a Models,
}

impl<'a> Kept<'a> {
    pub fn new(shared: &'a [Arc<Object>], models: &'a Models) -> Self {
        Kept {
            shared,
            objects: shared.iter().map(|o| &**o).collect(),
            models,
        }
    }

    /// The model `M` of this group's objects, built on first use.
    pub fn model<M: Model>(&self, cx: &Context<'_>) -> Arc<M> {
        let slot: Slot = {
            // A poisoned lock means a model build panicked in another rule; the map itself is
            // still consistent.
            let mut slots = self.models.slots.lock().unwrap_or_else(|e| e.into_inner());
            Arc::clone(slots.entry(TypeId::of::<M>()).or_default())
        };
        let built = slot.get_or_init(|| Arc::new(M::build(cx, self.shared)));
        Arc::clone(built)
            .downcast::<M>()
            .unwrap_or_else(|_| unreachable!("slots are keyed by the model's type"))
    }
}

impl<'a> Deref for Kept<'a> {
    type Target = [&'a Object];
    fn deref(&self) -> &[&'a Object] {
        &self.objects
    }
}

impl<'k, 'a> IntoIterator for &'k Kept<'a> {
    type Item = &'k &'a Object;
    type IntoIter = std::slice::Iter<'k, &'a Object>;
    fn into_iter(self) -> Self::IntoIter {
        self.objects.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule::Settings;
    use std::sync::atomic::{AtomicUsize, Ordering};

    static BUILDS: AtomicUsize = AtomicUsize::new(0);

    struct Count(usize);
    impl Model for Count {
        fn build(_cx: &Context<'_>, kept: &[Arc<Object>]) -> Self {
            BUILDS.fetch_add(1, Ordering::SeqCst);
            Count(kept.len())
        }
    }

    #[test]
    fn a_model_is_built_once_per_group_whoever_asks() {
        let settings = Settings::default();
        let cx = Context {
            settings: &settings,
        };
        let objects: Vec<Arc<Object>> = Vec::new();
        let models = Models::default();
        let kept = Kept::new(&objects, &models);
        let before = BUILDS.load(Ordering::SeqCst);
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| assert_eq!(kept.model::<Count>(&cx).0, 0));
            }
        });
        assert_eq!(BUILDS.load(Ordering::SeqCst) - before, 1);
        // Another group builds its own.
        let other = Models::default();
        Kept::new(&objects, &other).model::<Count>(&cx);
        assert_eq!(BUILDS.load(Ordering::SeqCst) - before, 2);
    }
}
