# Golden values for asn_research.dialogue (synthetic data from make_dialogue_data.py).
#
# Reads  panel.csv, cross.csv
# Writes dialogue_golden.csv  (long format: quantity, value; 17 significant digits)
#
# Run from this folder:  Rscript dialogue_golden.R
# Not run by the test suite (R is not on CI); tests/test_dialogue.py reads the CSV.
# fixest and did are not packaged in Debian: the fixest CR1 factor and the
# Callaway-Sant'Anna estimator are written out by hand below (independent code).

suppressPackageStartupMessages({
  library(sandwich); library(lmtest); library(clubSandwich); library(lme4)
})
options(digits = 17)
out <- list()
put <- function(name, value) out[[length(out) + 1]] <<- data.frame(
  quantity = name, value = sprintf("%.17g", value), stringsAsFactors = FALSE)

panel <- read.csv("panel.csv", na.strings = "NA", stringsAsFactors = FALSE)
cross <- read.csv("cross.csv", stringsAsFactors = FALSE)

# ------------------------------------------------------------------ TWFE: CR1, CR2
fit <- lm(y ~ d + factor(unit) + factor(period), data = panel)
n <- nrow(panel); G <- length(unique(panel$cluster)); T <- length(unique(panel$period))
k_lm <- fit$rank
b <- coef(fit)[["d"]]
# sandwich HC1 = G/(G-1) * (n-1)/(n-k_lm); fixest counts K = 1 + T (unit effects are
# nested in the clusters and not counted; fixest ssc(fixef.K = "nested"))
v_hc1 <- vcovCL(fit, cluster = ~cluster, type = "HC1")["d", "d"]
K <- 1 + T
se_cr1 <- sqrt(v_hc1 * (n - k_lm) / (n - K))
put("twfe.estimate", b); put("twfe.cr1.se", se_cr1)
put("twfe.cr1.p", 2 * pt(-abs(b / se_cr1), G - 1)); put("twfe.n", n); put("twfe.G", G)
ct <- coef_test(fit, vcov = "CR2", cluster = panel$cluster, test = "Satterthwaite",
                coefs = "d")
put("twfe.cr2.se", ct$SE); put("twfe.cr2.df", ct$df_Satt); put("twfe.cr2.p", ct$p_Satt)

# ------------------------------------------------------------------ dose (extended TWFE)
panel$dose <- ifelse(panel$d == 1, panel$sessions - 1, 0)
panel$cell <- ifelse(panel$d == 1, paste(panel$cohort, panel$period, sep = "_"), "none")
panel$cell <- relevel(factor(panel$cell), ref = "none")
fd <- lm(y ~ dose + cell + factor(unit) + factor(period), data = panel)
k_cells <- nlevels(panel$cell) - 1
Kd <- 1 + k_cells + T
vd <- vcovCL(fd, cluster = ~cluster, type = "HC1")["dose", "dose"]
put("dose.estimate", coef(fd)[["dose"]])
put("dose.cr1.se", sqrt(vd * (n - fd$rank) / (n - Kd)))
ctd <- coef_test(fd, vcov = "CR2", cluster = panel$cluster, test = "Satterthwaite",
                 coefs = "dose")
put("dose.cr2.se", ctd$SE); put("dose.cr2.df", ctd$df_Satt)

# ------------------------------------------------------------------ mixed model (REML)
mm <- lmer(y ~ d + factor(period) + (1 | cluster) + (1 | unit), data = panel, REML = TRUE,
           control = lmerControl(optimizer = "bobyqa",
                                 optCtrl = list(rhoend = 1e-12, maxfun = 1e5)))
put("mixed.estimate", fixef(mm)[["d"]])
put("mixed.se", sqrt(vcov(mm)["d", "d"]))
vc <- as.data.frame(VarCorr(mm))
put("mixed.var_cluster", vc$vcov[vc$grp == "cluster"])
put("mixed.var_unit", vc$vcov[vc$grp == "unit"])
put("mixed.var_residual", vc$vcov[vc$grp == "Residual"])

# ------------------------------------------------------------------ Callaway-Sant'Anna by hand
# panel estimator with never-exposed comparison units, varying base period, outcome
# regression without covariates = difference of mean changes on the units observed in
# both periods; influence functions summed by cluster, factor G/(G-1).
periods <- sort(unique(panel$period)); cohorts <- sort(unique(panel$cohort[!is.na(panel$cohort)]))
# units first exposed after their last observed period are left out (never seen exposed)
last_obs <- tapply(panel$period, panel$unit, max)
late <- names(last_obs)[!is.na(tapply(panel$cohort, panel$unit, function(x) x[1])) &
                        tapply(panel$cohort, panel$unit, function(x) x[1]) > last_obs]
panel_cs <- panel[!(panel$unit %in% late), ]
units <- sort(unique(panel_cs$unit))
ucl <- tapply(panel_cs$cluster, panel_cs$unit, function(x) x[1])[units]
ucoh <- tapply(panel_cs$cohort, panel_cs$unit, function(x) x[1])[units]
yw <- matrix(NA_real_, length(units), length(periods), dimnames = list(units, periods))
yw[cbind(match(panel_cs$unit, units), match(panel_cs$period, periods))] <- panel_cs$y
cells <- list(); phi <- list()
for (g in cohorts) for (t in periods) {
  base <- if (t >= g) g - 1 else t - 1
  if (!(base %in% periods) || t == min(periods)) next
  dy <- yw[, as.character(t)] - yw[, as.character(base)]
  tr <- !is.na(dy) & !is.na(ucoh) & ucoh == g
  co <- !is.na(dy) & is.na(ucoh)
  att <- mean(dy[tr]) - mean(dy[co])
  f <- numeric(length(units))
  f[tr] <- (dy[tr] - mean(dy[tr])) / sum(tr)
  f[co] <- -(dy[co] - mean(dy[co])) / sum(co)
  nobs <- sum(panel_cs$cohort == g & panel_cs$period == t, na.rm = TRUE)
  cells[[length(cells) + 1]] <- data.frame(g = g, t = t, e = t - g, att = att, n = nobs)
  phi[[length(phi) + 1]] <- f
}
cells <- do.call(rbind, cells); phi <- do.call(cbind, phi)
clus_se <- function(w) {
  s <- tapply(as.vector(phi %*% w), ucl, sum)
  sqrt(G / (G - 1) * sum(s^2))
}
for (i in seq_len(nrow(cells))) {
  w <- numeric(nrow(cells)); w[i] <- 1
  key <- sprintf("cs.cell.g%d.t%d", cells$g[i], cells$t[i])
  put(paste0(key, ".att"), cells$att[i]); put(paste0(key, ".se"), clus_se(w))
}
post <- cells$t >= cells$g
w <- ifelse(post, cells$n, 0); w <- w / sum(w)
put("cs.att.estimate", sum(w * cells$att)); put("cs.att.se", clus_se(w))
lead_w <- list(); lead_est <- c()
for (e in sort(unique(cells$e))) {
  w <- ifelse(cells$e == e, cells$n, 0); w <- w / sum(w)
  put(sprintf("cs.event.e%d.estimate", e), sum(w * cells$att))
  put(sprintf("cs.event.e%d.se", e), clus_se(w))
  if (e < 0) { lead_w[[length(lead_w) + 1]] <- w; lead_est <- c(lead_est, sum(w * cells$att)) }
}
W <- do.call(cbind, lead_w)
S <- apply(W, 2, function(w) tapply(as.vector(phi %*% w), ucl, sum))
V <- G / (G - 1) * crossprod(S)
q <- length(lead_est)
Fst <- as.numeric(t(lead_est) %*% solve(V) %*% lead_est) / q
put("cs.n_late_units", length(late))
put("cs.pretrend.F", Fst); put("cs.pretrend.p", pf(Fst, q, G - 1, lower.tail = FALSE))

# ------------------------------------------------------------------ Callaway-Sant'Anna, CR2
# Independent check of the small-sample inference of dialogue.event_study (vcov = "CR2"):
# every 2x2 comparison written as a regression of the change dy on two group indicators
# (cohort g, comparison units), all cells stacked into one lm; clubSandwich then gives the
# CR2 (Bell-McCaffrey) SE with Satterthwaite df of any linear contrast (cells, event times,
# the aggregate) and the HTZ Wald test of the leads. Nothing here is shared with Python.
cs_stack <- function(control) {
  st <- list(); cl <- list()
  for (g in cohorts) for (t in periods) {
    base <- if (t >= g) g - 1 else t - 1
    if (!(base %in% periods) || t == min(periods)) next
    dy <- yw[, as.character(t)] - yw[, as.character(base)]
    tr <- !is.na(dy) & !is.na(ucoh) & ucoh == g
    co <- !is.na(dy) & is.na(ucoh)
    if (control == "notyet") co <- co | (!is.na(dy) & !is.na(ucoh) & ucoh > max(t, base) & ucoh != g)
    if (sum(tr) == 0 || sum(co) == 0) next
    id <- sprintf("g%d.t%d", g, t)
    st[[length(st) + 1]] <- data.frame(
      dy = c(dy[tr], dy[co]), grp = c(rep(paste0(id, "_T"), sum(tr)), rep(paste0(id, "_C"), sum(co))),
      cluster = c(ucl[tr], ucl[co]), stringsAsFactors = FALSE)
    cl[[length(cl) + 1]] <- data.frame(id = id, g = g, t = t, e = t - g,
      n = sum(panel_cs$cohort == g & panel_cs$period == t, na.rm = TRUE))
  }
  list(data = do.call(rbind, st), cells = do.call(rbind, cl))
}
for (control in c("never", "notyet")) {
  s <- cs_stack(control)
  sd <- s$data; sc <- s$cells
  sd$grp <- factor(sd$grp, levels = as.vector(rbind(paste0(sc$id, "_T"), paste0(sc$id, "_C"))))
  fit <- lm(dy ~ 0 + grp, data = sd)
  p <- length(coef(fit))
  C_cell <- matrix(0, nrow(sc), p)
  for (i in seq_len(nrow(sc))) { C_cell[i, 2 * i - 1] <- 1; C_cell[i, 2 * i] <- -1 }
  rownames(C_cell) <- sc$id
  rows <- list()
  for (e in sort(unique(sc$e))) {
    w <- ifelse(sc$e == e, sc$n, 0); w <- w / sum(w)
    rows[[sprintf("e%d", e)]] <- matrix(w, 1) %*% C_cell
  }
  wpost <- ifelse(sc$t >= sc$g, sc$n, 0); wpost <- wpost / sum(wpost)
  rows[["att"]] <- matrix(wpost, 1) %*% C_cell
  C_all <- rbind(C_cell, do.call(rbind, rows))
  rownames(C_all) <- c(sc$id, names(rows))
  V2 <- vcovCR(fit, cluster = sd$cluster, type = "CR2")
  lc <- linear_contrast(fit, vcov = V2, contrasts = C_all, test = "Satterthwaite")
  pre <- paste0("cs.cr2.", control, ".")
  for (i in seq_len(nrow(lc))) {
    key <- paste0(pre, rownames(C_all)[i])
    put(paste0(key, ".estimate"), lc$Est[i]); put(paste0(key, ".se"), lc$SE[i])
    put(paste0(key, ".df"), lc$df[i])
  }
  leads <- grep("^e-", names(rows), value = TRUE)
  if (length(leads)) {
    wt <- Wald_test(fit, constraints = do.call(rbind, rows[leads]), vcov = V2, test = "HTZ")
    put(paste0(pre, "pretrend.F"), wt$Fstat); put(paste0(pre, "pretrend.df_num"), wt$df_num)
    put(paste0(pre, "pretrend.df_denom"), wt$df_denom); put(paste0(pre, "pretrend.p"), wt$p_val)
  }
}

# ------------------------------------------------------------------ cross-section estimators
Gc <- length(unique(cross$cluster))
cross$x2 <- factor(cross$x2)  # levels a, b, c: "a" is the reference
rec <- function(prefix, fit, coef, cl = TRUE) {
  b <- coef(fit)[[coef]]
  v1 <- vcovHC(fit, type = "HC1")[coef, coef]
  put(paste0(prefix, ".estimate"), b); put(paste0(prefix, ".hc1.se"), sqrt(v1))
  put(paste0(prefix, ".hc1.p"), 2 * pt(-abs(b / sqrt(v1)), fit$df.residual))
  if (cl) {
    v2 <- vcovCL(fit, cluster = ~cluster, type = "HC1")[coef, coef]
    put(paste0(prefix, ".cr1.se"), sqrt(v2))
    put(paste0(prefix, ".cr1.p"), 2 * pt(-abs(b / sqrt(v2)), Gc - 1))
  }
}
rec("naive", lm(y1 ~ d, data = cross), "d")
rec("ancova", lm(y1 ~ d + y0 + x1 + x2, data = cross), "d")
ps <- fitted(glm(d ~ y0 + x1 + x2, family = binomial, data = cross,
                 control = glm.control(epsilon = 1e-14, maxit = 100)))
w <- ifelse(cross$d == 1, 1, ps / (1 - ps))
cross$w <- w
rec("ipw", lm(y1 ~ d, data = cross, weights = w), "d")
X <- model.matrix(~ y0 + x1 + x2, data = cross)[, -1]
Xc <- sweep(X, 2, colMeans(X[cross$d == 1, , drop = FALSE]))
dr_fit <- lm(cross$y1 ~ cross$d + X + I(cross$d * Xc), weights = w)
names(dr_fit$coefficients)[2] <- "d"
dr_df <- data.frame(cluster = cross$cluster)
b <- coef(dr_fit)[["d"]]
v1 <- vcovHC(dr_fit, type = "HC1")[2, 2]
v2 <- vcovCL(dr_fit, cluster = dr_df$cluster, type = "HC1")[2, 2]
put("dr.estimate", b); put("dr.hc1.se", sqrt(v1)); put("dr.cr1.se", sqrt(v2))
for (j in colnames(X)) {
  x <- X[, j]; t1 <- cross$d == 1; c0 <- cross$d == 0
  sdp <- sqrt((var(x[t1]) + var(x[c0])) / 2)
  put(paste0("balance.", j, ".smd_unweighted"), (mean(x[t1]) - mean(x[c0])) / sdp)
  put(paste0("balance.", j, ".smd_weighted"),
      (mean(x[t1]) - weighted.mean(x[c0], w[c0])) / sdp)
}

# ------------------------------------------------------------------ measurement invariance
# items.csv: one factor, four items, three waves (listwise deletion, ML, lavaan defaults)
suppressPackageStartupMessages(library(lavaan))
items <- read.csv("items.csv", na.strings = "NA", stringsAsFactors = FALSE)
mi_model <- "f =~ q1 + q2 + q3 + q4"
fits <- list(configural = cfa(mi_model, data = items, group = "wave"),
             metric = cfa(mi_model, data = items, group = "wave", group.equal = "loadings"))
for (m in names(fits)) {
  fm <- fitMeasures(fits[[m]], c("chisq", "df", "pvalue", "cfi", "rmsea", "ntotal"))
  for (k in names(fm)) put(sprintf("mi.%s.%s", m, k), fm[[k]])
}
lrt <- lavTestLRT(fits$configural, fits$metric)
put("mi.delta.chisq", lrt[["Chisq diff"]][2]); put("mi.delta.df", lrt[["Df diff"]][2])
put("mi.delta.p", lrt[["Pr(>Chisq)"]][2])

res <- do.call(rbind, out)
write.csv(res, "dialogue_golden.csv", row.names = FALSE)
cat(R.version.string, "\n")
for (p in c("sandwich", "lmtest", "clubSandwich", "lme4", "lavaan"))
  cat(p, as.character(packageVersion(p)), "\n")
