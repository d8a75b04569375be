# Golden values for asn_research.training, computed in R (an independent implementation).
#
# Reads  paired.csv, panel_long.csv   (synthetic; made by make_training_data.py, seed 11)
# Writes training_golden.csv          (long format: case, statistic, value; 17 digits)
#
# Run from this folder:  Rscript training_golden.R
# Not run by the test suite (R is not on CI); tests/test_training.py reads the CSV.
#
# Packages: stats (t.test, wilcox.test, prop.test, binom.test, glm, lm, p.adjust),
# effectsize (cohens_d, hedges_g, rank_biserial), sandwich (vcovCL, vcovHC), lme4 (lmer),
# clubSandwich (linear_contrast with vcov = "CR2", Satterthwaite df).
# The baseline/follow-up panel is built here from the long file by our own R code.

suppressPackageStartupMessages({
  library(effectsize)
  library(sandwich)
  library(lme4)
  library(clubSandwich)
})

fmt <- function(x) sprintf("%.17g", x)
rows <- list()
add <- function(case, statistic, value) {
  rows[[length(rows) + 1]] <<- data.frame(case = case, statistic = statistic,
                                          value = fmt(value), stringsAsFactors = FALSE)
}

# ----------------------------------------------------------------------------- L2 paired
paired <- read.csv("paired.csv", na.strings = "NA", stringsAsFactors = FALSE)

# Noncentral-t interval of a t statistic by root finding (tight tolerance): the same
# interval effectsize computes with optim(), whose abstol of 1e-9 on the probability
# scale leaves ~1e-8 relative error in the bounds.
ncp_ci <- function(t, df, conf) {
  f <- function(ncp, p) pt(t, df, ncp) - p
  lo <- uniroot(f, c(t - 1, t), p = (1 + conf) / 2, extendInt = "yes", tol = 1e-14)$root
  hi <- uniroot(f, c(t, t + 1), p = (1 - conf) / 2, extendInt = "yes", tol = 1e-14)$root
  c(lo, hi)
}

gain_case <- function(case, d, conf) {
  ok <- complete.cases(d$l2_pre_pct, d$l2_post_pct)
  pre <- d$l2_pre_pct[ok]
  post <- d$l2_post_pct[ok]
  n <- length(pre)
  add(case, "n_obs", n)
  add(case, "n_incomplete", sum(xor(is.na(d$l2_pre_pct), is.na(d$l2_post_pct))))
  tt <- t.test(post, pre, paired = TRUE, conf.level = conf)
  add(case, "estimate", unname(tt$estimate))
  add(case, "se", tt$stderr)
  add(case, "ci_low", tt$conf.int[1])
  add(case, "ci_high", tt$conf.int[2])
  add(case, "t", unname(tt$statistic))
  add(case, "df", unname(tt$parameter))
  add(case, "p_value", tt$p.value)
  tp <- t.test(pre, conf.level = conf)
  tq <- t.test(post, conf.level = conf)
  add(case, "pre_mean", mean(pre))
  add(case, "pre_ci_low", tp$conf.int[1])
  add(case, "pre_ci_high", tp$conf.int[2])
  add(case, "post_mean", mean(post))
  add(case, "post_ci_low", tq$conf.int[1])
  add(case, "post_ci_high", tq$conf.int[2])
  # Cohen's d_z, Hedges' g_z (effectsize) and the tight ncp interval
  cd <- cohens_d(post, pre, paired = TRUE, ci = conf)
  hg <- hedges_g(post, pre, paired = TRUE, ci = conf)
  add(case, "cohens_dz", cd$Cohens_d)
  add(case, "effectsize_cohens_dz_ci_low", cd$CI_low)
  add(case, "effectsize_cohens_dz_ci_high", cd$CI_high)
  add(case, "hedges_gz", hg$Hedges_g)
  add(case, "effectsize_hedges_gz_ci_low", hg$CI_low)
  add(case, "effectsize_hedges_gz_ci_high", hg$CI_high)
  ci <- ncp_ci(unname(tt$statistic), n - 1, conf) / sqrt(n)
  J <- exp(lgamma((n - 1) / 2) - log(sqrt((n - 1) / 2)) - lgamma((n - 2) / 2))
  add(case, "cohens_dz_ci_low", ci[1])
  add(case, "cohens_dz_ci_high", ci[2])
  add(case, "hedges_gz_ci_low", ci[1] * J)
  add(case, "hedges_gz_ci_high", ci[2] * J)
  # Wilcoxon signed-rank, normal approximation with continuity correction
  wt <- wilcox.test(post, pre, paired = TRUE, exact = FALSE, correct = TRUE)
  add(case, "wilcoxon_v", unname(wt$statistic))
  add(case, "wilcoxon_p", wt$p.value)
  add(case, "n_nonzero", sum(post - pre != 0))
  # matched-pairs rank-biserial on the differences (see PROVENANCE.md on the CI)
  rb <- rank_biserial(post - pre, ci = conf)
  add(case, "rank_biserial", rb$r_rank_biserial)
  add(case, "rank_biserial_ci_low", rb$CI_low)
  add(case, "rank_biserial_ci_high", rb$CI_high)
  rb2 <- rank_biserial(post, pre, paired = TRUE, ci = conf)
  add(case, "effectsize_paired_rank_biserial", rb2$r_rank_biserial)
  # Hake class-average normalized gain, delta method written out here
  a <- mean(pre); b <- mean(post)
  g <- (b - a) / (100 - a)
  S <- cov(cbind(pre, post)) / n
  grad <- c((b - 100) / (100 - a)^2, 1 / (100 - a))
  se_g <- sqrt(drop(t(grad) %*% S %*% grad))
  z <- qnorm((1 + conf) / 2)
  add(case, "normalized_gain", g)
  add(case, "normalized_gain_se", se_g)
  add(case, "normalized_gain_ci_low", g - z * se_g)
  add(case, "normalized_gain_ci_high", g + z * se_g)
  # measurement-error-only SE of the mean gain (Lord's binomial error model, k = 40)
  pr <- c(pre, post) / 100
  se_m <- sqrt(sum(100^2 * pr * (1 - pr) / (40 - 1))) / n
  add(case, "se_measurement", se_m)
  add(case, "measurement_ci_low", mean(post - pre) - z * se_m)
  add(case, "measurement_ci_high", mean(post - pre) + z * se_m)
  # the same error model for the pre- and post-test means and for <g> (delta method;
  # the two tests' measurement errors are independent)
  v_pre <- sum(100^2 * (pre / 100) * (1 - pre / 100) / (40 - 1)) / n^2
  v_post <- sum(100^2 * (post / 100) * (1 - post / 100) / (40 - 1)) / n^2
  add(case, "pre_se_measurement", sqrt(v_pre))
  add(case, "pre_measurement_ci_low", a - z * sqrt(v_pre))
  add(case, "pre_measurement_ci_high", a + z * sqrt(v_pre))
  add(case, "post_se_measurement", sqrt(v_post))
  add(case, "post_measurement_ci_low", b - z * sqrt(v_post))
  add(case, "post_measurement_ci_high", b + z * sqrt(v_post))
  se_gm <- sqrt(grad[1]^2 * v_pre + grad[2]^2 * v_post)
  add(case, "normalized_gain_se_measurement", se_gm)
  add(case, "normalized_gain_measurement_ci_low", g - z * se_gm)
  add(case, "normalized_gain_measurement_ci_high", g + z * se_gm)
}

gain_case("gain.all", paired, 0.95)
gain_case("gain.all.conf90", paired, 0.90)
for (tp in sort(unique(paired$training_topic))) {
  gain_case(paste0("gain.", tp), paired[paired$training_topic == tp, ], 0.95)
}

# Welch t of gains between topics (first level minus second)
ok <- complete.cases(paired$l2_pre_pct, paired$l2_post_pct)
pp <- paired[ok, ]
pp$gain <- pp$l2_post_pct - pp$l2_pre_pct
wt <- t.test(gain ~ training_topic, data = pp)
add("welch.topic", "estimate", unname(wt$estimate[1] - wt$estimate[2]))
add("welch.topic", "se", wt$stderr)
add("welch.topic", "ci_low", wt$conf.int[1])
add("welch.topic", "ci_high", wt$conf.int[2])
add("welch.topic", "t", unname(wt$statistic))
add("welch.topic", "df", unname(wt$parameter))
add("welch.topic", "p_value", wt$p.value)

# Share reaching the threshold (post-test >= 70), Wilson and Clopper-Pearson
post <- paired$l2_post_pct[!is.na(paired$l2_post_pct)]
for (thr in c(70, 80)) {
  x <- sum(post >= thr); n <- length(post)
  pt_ <- prop.test(x, n, correct = FALSE)
  bt <- binom.test(x, n)
  case <- paste0("threshold.", thr)
  add(case, "n_obs", n)
  add(case, "n_reached", x)
  add(case, "wilson_ci_low", pt_$conf.int[1])
  add(case, "wilson_ci_high", pt_$conf.int[2])
  add(case, "exact_ci_low", bt$conf.int[1])
  add(case, "exact_ci_high", bt$conf.int[2])
}

# L1 reaction: item rx_1 and the scale, t interval and share satisfied (>= 4)
for (v in c("rx_1", "rx_3", "reaction")) {
  x <- paired[[v]][!is.na(paired[[v]])]
  tt <- t.test(x)
  case <- paste0("reaction.", v)
  add(case, "n_obs", length(x))
  add(case, "estimate", mean(x))
  add(case, "ci_low", tt$conf.int[1])
  add(case, "ci_high", tt$conf.int[2])
  k <- sum(x >= 4)
  add(case, "n_satisfied", k)
  add(case, "satisfied_ci_low", prop.test(k, length(x), correct = FALSE)$conf.int[1])
  add(case, "satisfied_ci_high", prop.test(k, length(x), correct = FALSE)$conf.int[2])
  add(case, "exact_ci_low", binom.test(k, length(x))$conf.int[1])
  add(case, "exact_ci_high", binom.test(k, length(x))$conf.int[2])
}

# KR-21 of the knowledge test from total scores (k = 40 questions), closed form
for (v in c("l2_pre_pct", "l2_post_pct")) {
  x <- paired[[v]][!is.na(paired[[v]])] * 40 / 100
  k <- 40; m <- mean(x); s2 <- var(x)
  add(paste0("kr21.", v), "estimate", k / (k - 1) * (1 - m * (k - m) / (k * s2)))
  add(paste0("kr21.", v), "n_obs", length(x))
}

# Gain heterogeneity: level vs rest (Welch), levels with n >= 10 and rest >= 10
het <- list()
for (v in c("sex", "golongan")) {
  lv <- as.character(pp[[v]])
  for (L in sort(unique(lv))) {
    x <- pp$gain[lv == L]; r <- pp$gain[lv != L]
    case <- paste0("gainhet.", v, ".", L)
    add(case, "n_obs", length(x))
    if (length(x) >= 10 && length(r) >= 10) {
      add(case, "estimate", mean(x))
      add(case, "ci_low", t.test(x)$conf.int[1])
      add(case, "ci_high", t.test(x)$conf.int[2])
      w <- t.test(x, r)
      add(case, "diff_vs_rest", mean(x) - mean(r))
      add(case, "p_value", w$p.value)
      het[[case]] <- w$p.value
    }
  }
}
ph <- unlist(het)
for (i in seq_along(ph)) {
  add(names(ph)[i], "p_holm", p.adjust(ph, "holm")[i])
  add(names(ph)[i], "p_bh", p.adjust(ph, "BH")[i])
}

# ----------------------------------------------------------------------------- L3 panel
long <- read.csv("panel_long.csv", na.strings = "NA", stringsAsFactors = FALSE)

build_panel <- function(long, lag) {
  tr_rows <- long[long$group == "trained", ]
  first <- aggregate(period ~ person_id, data = tr_rows, FUN = min)
  trainees <- first$person_id
  cohorts <- sort(unique(first$period[(first$period + lag) %in% long$period]))
  out <- list()
  for (s in cohorts) {
    ids <- first$person_id[first$period == s]
    bt <- long[long$period == s & long$person_id %in% ids, ]
    bc <- long[long$period == s & !(long$person_id %in% trainees), ]
    bt$treated <- 1; bc$treated <- 0
    b <- rbind(bt, bc)
    b <- b[!is.na(b$behaviour), ]
    fu <- long[long$period == s + lag, c("person_id", "behaviour")]
    names(fu)[2] <- "y_fu"
    b <- merge(b, fu, by = "person_id", all.x = TRUE)
    b$cohort <- s
    out[[length(out) + 1]] <- b
  }
  p <- do.call(rbind, out)
  p$retained <- !is.na(p$y_fu)
  p$change <- p$y_fu - p$behaviour
  p
}

contrast <- function(b, V, L, df) {
  est <- sum(L * b)
  se <- sqrt(drop(t(L) %*% V %*% L))
  tt <- est / se
  q <- if (is.null(df)) qnorm(0.975) else qt(0.975, df)
  p <- if (is.null(df)) 2 * pnorm(-abs(tt)) else 2 * pt(-abs(tt), df)
  c(estimate = est, se = se, t = tt, p_value = p, ci_low = est - q * se,
    ci_high = est + q * se)
}

# DiD as cell means of the changes; target weights per cohort (named by cohort)
did <- function(d, arm_t, arm_c, target, cluster = TRUE, w = NULL) {
  d$cell <- factor(paste(d$cohort, d$arm, sep = "|"))
  d$w <- if (is.null(w)) 1 else w
  fit <- lm(change ~ 0 + cell, data = d, weights = w)
  V <- if (cluster) vcovCL(fit, cluster = ~opd, type = "HC1") else vcovHC(fit, type = "HC1")
  b <- coef(fit)
  df <- if (cluster) length(unique(d$opd)) - 1 else nrow(d) - length(b)
  L <- setNames(rep(0, length(b)), names(b))
  tot <- sum(target)
  for (s in names(target)) {
    L[paste0("cell", s, "|", arm_t)] <- L[paste0("cell", s, "|", arm_t)] + target[[s]] / tot
    L[paste0("cell", s, "|", arm_c)] <- L[paste0("cell", s, "|", arm_c)] - target[[s]] / tot
  }
  list(res = contrast(b, V, L, df), df = df, b = b, V = V, fit = fit, L = L)
}

# CR2 (Bell-McCaffrey) with Satterthwaite df for the same contrast (clubSandwich). For one
# constraint the HTZ Wald test is the Satterthwaite t test (same df; checked against
# linear_contrast on unweighted fits); linear_contrast itself fails on weighted lm fits in
# clubSandwich 0.5.8 ("'list' object cannot be coerced to type 'integer'"), so the
# interval is built here from the CR2 covariance and the HTZ df.
cr2 <- function(r, d, case) {
  L <- matrix(unname(r$L), nrow = 1)
  V <- vcovCR(r$fit, cluster = factor(d$opd), type = "CR2")
  se <- sqrt(drop(L %*% as.matrix(V) %*% t(L)))
  wt <- Wald_test(r$fit, constraints = L, vcov = V, test = "HTZ")
  est <- sum(L * coef(r$fit))
  add(case, "estimate", est)
  add(case, "se", se)
  add(case, "df", wt$df_denom)
  add(case, "ci_low", est - qt(0.975, wt$df_denom) * se)
  add(case, "ci_high", est + qt(0.975, wt$df_denom) * se)
  add(case, "p_value", wt$p_val)
}

add_res <- function(case, r, df = NULL, n = NULL, g = NULL) {
  for (nm in names(r)) add(case, nm, r[[nm]])
  if (!is.null(df)) add(case, "df", df)
  if (!is.null(n)) add(case, "n_obs", n)
  if (!is.null(g)) add(case, "n_clusters", g)
}

for (lag in c(2, 4)) {
  p <- build_panel(long, lag)
  tag <- paste0("lag", lag)
  add(paste0("panel.", tag), "n_rows", nrow(p))
  add(paste0("panel.", tag), "n_retained", sum(p$retained))
  add(paste0("panel.", tag), "n_treated", sum(p$treated == 1))
  add(paste0("panel.", tag), "sum_change", sum(p$change, na.rm = TRUE))
  d <- p[p$retained, ]
  d$arm <- ifelse(d$treated == 1, "T", "C")
  n_t <- table(d$cohort[d$treated == 1])
  target <- setNames(as.numeric(n_t), names(n_t))
  r <- did(d, "T", "C", target)
  add_res(paste0("did.", tag), r$res, r$df, nrow(d), length(unique(d$opd)))
  r0 <- did(d, "T", "C", target, cluster = FALSE)
  add_res(paste0("did_hc1.", tag), r0$res, r0$df, nrow(d))
  for (s in names(target)) {
    rs <- did(d, "T", "C", setNames(1, s))
    add(paste0("did.", tag, ".cohort", s), "estimate", rs$res[["estimate"]])
    add(paste0("did.", tag, ".cohort", s), "se", rs$res[["se"]])
  }
  # treated_filter: communication trainees only
  dc <- d[d$treated == 0 | d$training_topic %in% "communication", ]
  n_tc <- table(dc$cohort[dc$treated == 1])
  rc <- did(dc, "T", "C", setNames(as.numeric(n_tc), names(n_tc)))
  add_res(paste0("did.", tag, ".communication"), rc$res, rc$df, nrow(dc))
  cr2(r, d, paste0("did_cr2.", tag))
  cr2(rc, dc, paste0("did_cr2.", tag, ".communication"))

  # mixed model, REML: cell means with random intercepts for OPD and respondent-cohort
  m_long <- rbind(
    data.frame(y = d$behaviour, time = 0, cohort = d$cohort, arm = d$arm, opd = d$opd,
               pair = paste(d$person_id, d$cohort)),
    data.frame(y = d$y_fu, time = 1, cohort = d$cohort, arm = d$arm, opd = d$opd,
               pair = paste(d$person_id, d$cohort)))
  m_long$cell <- factor(paste(m_long$cohort, m_long$arm, m_long$time, sep = "|"))
  mm <- lmer(y ~ 0 + cell + (1 | opd) + (1 | pair), data = m_long, REML = TRUE,
             control = lmerControl(optimizer = "bobyqa",
                                   optCtrl = list(rhobeg = 2e-4, rhoend = 2e-10)))
  b <- fixef(mm); V <- as.matrix(vcov(mm))
  L <- setNames(rep(0, length(b)), names(b))
  tot <- sum(target)
  for (s in names(target)) for (a in c("T", "C")) {
    sg <- if (a == "T") 1 else -1
    L[paste0("cell", s, "|", a, "|1")] <- L[paste0("cell", s, "|", a, "|1")] + sg * target[[s]] / tot
    L[paste0("cell", s, "|", a, "|0")] <- L[paste0("cell", s, "|", a, "|0")] - sg * target[[s]] / tot
  }
  add_res(paste0("mixed.", tag), contrast(b, V, L, NULL), NULL, nrow(m_long))
  vc <- as.data.frame(VarCorr(mm))
  add(paste0("mixed.", tag), "var_cluster", vc$vcov[vc$grp == "opd"])
  add(paste0("mixed.", tag), "var_respondent", vc$vcov[vc$grp == "pair"])
  add(paste0("mixed.", tag), "var_residual", vc$vcov[vc$grp == "Residual"])
  mm0 <- lmer(y ~ 0 + cell + (1 | pair), data = m_long, REML = TRUE,
              control = lmerControl(optimizer = "bobyqa",
                                    optCtrl = list(rhobeg = 2e-4, rhoend = 2e-10)))
  add_res(paste0("mixed_nocluster.", tag), contrast(fixef(mm0), as.matrix(vcov(mm0)), L, NULL))

  # attrition: completers vs drop-outs at baseline, Welch t and SMD
  for (grp in c(1, 0)) {
    pg <- p[p$treated == grp, ]
    vars <- if (grp == 1) c("behaviour", "l2_pre_pct", "sex") else c("behaviour", "sex")
    for (v in vars) {
      a <- pg[[v]][pg$retained & !is.na(pg[[v]])]
      z <- pg[[v]][!pg$retained & !is.na(pg[[v]])]
      w <- t.test(a, z)
      case <- paste0("attrition.", tag, ".", ifelse(grp == 1, "trained", "comparison"), ".", v)
      add(case, "n_completers", length(a))
      add(case, "n_dropouts", length(z))
      add(case, "estimate", mean(a) - mean(z))
      add(case, "se", w$stderr)
      add(case, "t", unname(w$statistic))
      add(case, "df", unname(w$parameter))
      add(case, "p_value", w$p.value)
      add(case, "ci_low", w$conf.int[1])
      add(case, "ci_high", w$conf.int[2])
      add(case, "smd", (mean(a) - mean(z)) / sqrt((var(a) + var(z)) / 2))
    }
  }

  # inverse-probability-of-retention weights (logistic per group), weighted DiD
  multi <- length(unique(p$cohort)) > 1
  tr <- p$treated == 1
  ft <- if (multi) retained ~ l2_pre_pct + behaviour + factor(cohort) else retained ~ l2_pre_pct + behaviour
  fc <- if (multi) retained ~ behaviour + factor(cohort) else retained ~ behaviour
  gt <- glm(ft, family = binomial, data = p[tr, ], control = glm.control(epsilon = 1e-14, maxit = 100))
  gc <- glm(fc, family = binomial, data = p[!tr, ], control = glm.control(epsilon = 1e-14, maxit = 100))
  p$w <- NA
  p$w[tr] <- 1 / fitted(gt)
  p$w[!tr] <- 1 / fitted(gc)
  for (nm in names(coef(gt))) add(paste0("ipw.", tag, ".logit_trained"), nm, coef(gt)[[nm]])
  for (nm in names(coef(gc))) add(paste0("ipw.", tag, ".logit_comparison"), nm, coef(gc)[[nm]])
  dw <- p[p$retained, ]
  dw$arm <- ifelse(dw$treated == 1, "T", "C")
  n_bt <- table(p$cohort[tr])
  rw <- did(dw, "T", "C", setNames(as.numeric(n_bt), names(n_bt)), w = dw$w)
  add_res(paste0("ipw.", tag), rw$res, rw$df, nrow(dw))
  add(paste0("ipw.", tag), "max_weight", max(dw$w))
  cr2(rw, dw, paste0("ipw_cr2.", tag))

  # DiD heterogeneity: sex (comparison split by sex) and topic (whole comparison group)
  hp <- c()
  for (v in c("sex", "training_topic")) {
    split <- any(!is.na(d[[v]][d$treated == 0]))
    dd <- if (split) d[!is.na(d[[v]]), ] else d[!is.na(d[[v]]) | d$treated == 0, ]
    lv <- as.character(dd[[v]])
    for (Lv in sort(unique(lv[dd$treated == 1]))) {
      inl <- !is.na(lv) & lv == Lv
      dd$arm <- ifelse(dd$treated == 1, ifelse(inl, "T", "R"),
                       if (split) ifelse(inl, "C", "D") else "C")
      tl <- table(dd$cohort[dd$arm == "T"])
      tr_ <- table(dd$cohort[dd$arm == "R"])
      rl <- did(dd, "T", "C", setNames(as.numeric(tl), names(tl)))
      rr <- did(dd, "R", if (split) "D" else "C", setNames(as.numeric(tr_), names(tr_)))
      # difference of the two contrasts from the same fit
      dd$cell <- factor(paste(dd$cohort, dd$arm, sep = "|"))
      fit <- lm(change ~ 0 + cell, data = dd)
      V <- vcovCL(fit, cluster = ~opd, type = "HC1")
      b <- coef(fit)
      mk <- function(tab, at, ac) {
        L <- setNames(rep(0, length(b)), names(b))
        for (s in names(tab)) {
          L[paste0("cell", s, "|", at)] <- L[paste0("cell", s, "|", at)] + tab[[s]] / sum(tab)
          L[paste0("cell", s, "|", ac)] <- L[paste0("cell", s, "|", ac)] - tab[[s]] / sum(tab)
        }
        L
      }
      Ld <- mk(tl, "T", "C") - mk(tr_, "R", if (split) "D" else "C")
      rd <- contrast(b, V, Ld, length(unique(dd$opd)) - 1)
      case <- paste0("didhet.", tag, ".", v, ".", Lv)
      add(case, "n_obs", sum(dd$arm == "T"))
      add(case, "estimate", rl$res[["estimate"]])
      add(case, "se", rl$res[["se"]])
      add(case, "ci_low", rl$res[["ci_low"]])
      add(case, "ci_high", rl$res[["ci_high"]])
      add(case, "diff_vs_rest", rd[["estimate"]])
      add(case, "diff_se", rd[["se"]])
      add(case, "p_value", rd[["p_value"]])
      hp[case] <- rd[["p_value"]]
    }
  }
  for (i in seq_along(hp)) {
    add(names(hp)[i], "p_holm", p.adjust(hp, "holm")[i])
    add(names(hp)[i], "p_bh", p.adjust(hp, "BH")[i])
  }
}

out <- do.call(rbind, rows)
write.csv(out, "training_golden.csv", row.names = FALSE)
cat("wrote", nrow(out), "golden values\n")
