# Golden values for asn_research.scales: McDonald's omega from psych::fa(fm = "minres"),
# the per-item loadings, and psych::alpha's statistics, on four synthetic data sets.
#
# Reads  likert6.csv (make_likert6.py), weak7.csv, missing5.csv, heywood3.csv
#        (make_omega_data.py) -- all synthetic
# Writes psych_omega_golden.csv  (long format: dataset, case, statistic, item, value)
#
# Run from this folder:  Rscript psych_omega.R
# Not run by the test suite (R is not on CI); tests/test_scales.py reads the CSV.

suppressPackageStartupMessages(library(psych))
options(digits = 17)

fmt <- function(x) sprintf("%.17g", x)
rows <- list()
add <- function(dataset, case, statistic, item, value) {
  rows[[length(rows) + 1]] <<- data.frame(
    dataset = dataset, case = case, statistic = statistic, item = item,
    value = fmt(value), stringsAsFactors = FALSE
  )
}

# Reverse-keying as asn_research.scales does it: (minimum + maximum) - x, with the
# answer-code range of the scale (not the observed range).
cases <- list(
  list(dataset = "likert6", case = "listwise", keys = "q4", lo = 1, hi = 5),
  list(dataset = "likert6", case = "pairwise", keys = "q4", lo = 1, hi = 5),
  list(dataset = "weak7", case = "complete", keys = "w5", lo = 1, hi = 6),
  list(dataset = "weak7", case = "unkeyed", keys = character(0), lo = 1, hi = 6),
  list(dataset = "missing5", case = "listwise", keys = character(0), lo = 1, hi = 5),
  list(dataset = "missing5", case = "pairwise", keys = character(0), lo = 1, hi = 5),
  list(dataset = "heywood3", case = "complete", keys = character(0), lo = 1, hi = 5)
)

# Independent check of psych's stopping point: iterated principal axes (communalities
# replaced by the squared loadings until they stop changing) converge to the exact
# minres solution when no uniqueness is at its bound.
principal_axes <- function(r) {
  psi <- 1 - smc(r)
  for (it in 1:100000) {
    s <- r
    diag(s) <- 1 - psi
    e <- eigen(s, symmetric = TRUE)
    lam <- e$vectors[, 1] * sqrt(e$values[1])
    new <- 1 - lam^2
    if (max(abs(new - psi)) < 1e-15) break
    psi <- new
  }
  if (sum(lam) < 0) lam <- -lam
  lam
}

for (cs in cases) {
  x <- read.csv(paste0(cs$dataset, ".csv"), na.strings = "NA")
  items <- names(x)
  for (k in cs$keys) x[[k]] <- (cs$lo + cs$hi) - x[[k]]
  listwise <- cs$case %in% c("listwise", "complete", "unkeyed")
  if (listwise) x <- na.omit(x)
  # psych::fa on raw data uses cor(x, use = "pairwise"); on complete rows that is cor(x).
  r <- cor(x, use = "pairwise")
  f <- suppressWarnings(fa(r, nfactors = 1, fm = "minres", warnings = FALSE))
  l <- as.vector(f$loadings[, 1])
  if (!listwise) {
    f_raw <- suppressWarnings(fa(x, nfactors = 1, fm = "minres", warnings = FALSE))
    stopifnot(max(abs(as.vector(f_raw$loadings[, 1]) - l)) < 1e-12)
  }
  omega_tot <- sum(l)^2 / (sum(l)^2 + sum(1 - l^2))
  add(cs$dataset, cs$case, "n_obs", "", nrow(x))
  add(cs$dataset, cs$case, "omega", "", omega_tot)
  # psych::omega's omega.tot divides by the observed total variance sum(r), not the
  # model-implied one; with flip = FALSE it must equal 1 - sum(u2) / sum(r) from fa.
  o <- suppressMessages(suppressWarnings(
    omega(r, nfactors = 1, fm = "minres", flip = FALSE, plot = FALSE)
  ))
  stopifnot(abs(o$omega.tot - (1 - sum(1 - l^2) / sum(r))) < 1e-10)
  add(cs$dataset, cs$case, "psych_omega_tot", "", o$omega.tot)
  heywood <- any(f$uniquenesses <= 0.005 + 1e-9)
  exact <- if (heywood) rep(NA_real_, length(l)) else principal_axes(r)
  a <- alpha(x, check.keys = FALSE, warnings = FALSE, use = "pairwise")
  add(cs$dataset, cs$case, "raw_alpha", "", a$total$raw_alpha)
  add(cs$dataset, cs$case, "std.alpha", "", a$total$std.alpha)
  ci <- alpha.ci(a$total$raw_alpha, n.obs = nrow(x), n.var = length(items), p.val = 0.05)
  add(cs$dataset, cs$case, "feldt_lower", "", ci$lower.ci)
  add(cs$dataset, cs$case, "feldt_upper", "", ci$upper.ci)
  for (i in seq_along(items)) {
    it <- items[i]
    add(cs$dataset, cs$case, "loading", it, l[i])
    add(cs$dataset, cs$case, "uniqueness", it, f$uniquenesses[i])
    add(cs$dataset, cs$case, "exact_loading", it, exact[i])
    add(cs$dataset, cs$case, "r.drop", it, a$item.stats$r.drop[i])
    add(cs$dataset, cs$case, "alpha_if_dropped", it, a$alpha.drop$raw_alpha[i])
    add(cs$dataset, cs$case, "mean", it, a$item.stats$mean[i])
    add(cs$dataset, cs$case, "sd", it, a$item.stats$sd[i])
    add(cs$dataset, cs$case, "n", it, a$item.stats$n[i])
  }
}

out <- do.call(rbind, rows)
write.csv(out, "psych_omega_golden.csv", row.names = FALSE, quote = FALSE)
cat(R.version.string, "\npsych", as.character(packageVersion("psych")),
    "GPArotation", as.character(packageVersion("GPArotation")), "\n")
