# Golden values for asn_research.scales.reliability, computed with psych::alpha.
#
# Reads  likert6.csv          (synthetic; made by make_likert6.py, seed 20240601)
# Writes psych_alpha_golden.csv  (long format: case, confidence, statistic, item, value)
#
# Run from this folder:  Rscript psych_alpha.R
# Not run by the test suite (R is not on CI); tests/test_scales.py reads the CSV.

suppressPackageStartupMessages(library(psych))

df <- read.csv("likert6.csv", na.strings = "NA")
items <- c("q1", "q2", "q3", "q4", "q5", "q6")
reverse <- "q4"
df <- df[, items]

fmt <- function(x) sprintf("%.17g", x)
rows <- list()
add <- function(case, confidence, statistic, item, value) {
  rows[[length(rows) + 1]] <<- data.frame(
    case = case, confidence = confidence, statistic = statistic, item = item,
    value = fmt(value), stringsAsFactors = FALSE
  )
}

cases <- list(
  # listwise: psych sees only the complete rows, so nsub (the Feldt n) = complete rows
  listwise = list(x = na.omit(df), use = "pairwise"),
  # pairwise: covariances from all available pairs, Feldt n = all rows
  pairwise = list(x = df, use = "pairwise")
)

for (case in names(cases)) {
  x <- cases[[case]]$x
  a <- psych::alpha(x, keys = reverse, check.keys = FALSE, use = cases[[case]]$use,
                    warnings = FALSE)
  add(case, "", "n_obs", "", nrow(x))
  add(case, "", "raw_alpha", "", a$total$raw_alpha)
  add(case, "", "std.alpha", "", a$total$std.alpha)
  add(case, "", "average_r", "", a$total$average_r)
  for (i in seq_along(items)) {
    add(case, "", "r.drop", items[i], a$item.stats$r.drop[i])
    add(case, "", "alpha_if_dropped", items[i], a$alpha.drop$raw_alpha[i])
    add(case, "", "std_alpha_if_dropped", items[i], a$alpha.drop$std.alpha[i])
  }
  for (conf in c(0.95, 0.90)) {
    ci <- psych::alpha.ci(a$total$raw_alpha, n.obs = nrow(x), n.var = length(items),
                          p.val = 1 - conf)
    # Cross-check: psych::alpha's own Feldt interval (95 % only) must agree.
    if (conf == 0.95) {
      stopifnot(abs(ci$lower.ci - a$feldt$lower.ci) < 1e-12,
                abs(ci$upper.ci - a$feldt$upper.ci) < 1e-12)
    }
    add(case, conf, "feldt_lower", "", ci$lower.ci)
    add(case, conf, "feldt_upper", "", ci$upper.ci)
  }
}

out <- do.call(rbind, rows)
write.csv(out, "psych_alpha_golden.csv", row.names = FALSE, quote = FALSE)
cat(R.version.string, "\npsych", as.character(packageVersion("psych")), "\n")
