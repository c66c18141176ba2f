//! ValidatingAdmissionPolicies and their bindings.
