"""Runs as one more dimension of PySD's subscripted values: the helpers of the generated code.

In a subscripted model PySD computes with :class:`xarray.DataArray` values whose dimensions are
the model's subscripts. The generated loop (:mod:`engine.codegen`) keeps PySD's expressions and
adds one dimension, ``run``, always last, to every value that differs between runs: element-wise
arithmetic, ``SUM``/``PROD``/``VMIN``/``VMAX`` over named dimensions, ``.loc`` selections and
``.expand_dims`` at a position then give PySD's values for every run at once. Where PySD leaves
xarray for NumPy (``.values``: subscript mappings and ``EXCEPT``), these helpers do the same with
the ``run`` dimension kept last; anything they cannot map is refused with
:class:`NotImplementedError`.
"""

from __future__ import annotations

import types

import numpy as np
import xarray as xr

RUN = "run"


def runs(values) -> xr.DataArray:
    """Values of one constant over runs, shape ``(n,)``, as a DataArray on ``run``."""
    return xr.DataArray(np.asarray(values, dtype=float), dims=[RUN])


def runs_last(value, dims=()):
    """``value`` with its dimensions in the order ``dims`` (those it has), then any others, ``run`` last."""
    if not isinstance(value, xr.DataArray) or not value.dims:
        return value
    order = [d for d in dims if d in value.dims] + [d for d in value.dims if d not in dims and d != RUN]
    if RUN in value.dims:
        order.append(RUN)
    return value if tuple(order) == value.dims else value.transpose(*order)


def with_runs(value: xr.DataArray, n: int) -> xr.DataArray:
    """A writable copy of ``value`` with a last ``run`` dimension of length ``n``."""
    if RUN in value.dims:
        return runs_last(value).copy()
    return value.expand_dims({RUN: n}, axis=value.ndim).copy()


def scalar(value):
    """PySD's ``float(x)`` of a one-element selection: the value per run, its selection labels dropped."""
    if isinstance(value, xr.DataArray):
        value = value.reset_coords(drop=True)
        if any(d != RUN for d in value.dims):
            raise NotImplementedError(f"float() of a value with dimensions {value.dims}")
        return value
    return value


def data_array(data, coords=None, dims=None, **kwargs):
    """``xr.DataArray(data, coords, dims)``, where ``data`` may be a value per run (``run`` dimension):
    then it fills every element of ``dims``, ``run`` last, as PySD fills them with a float."""
    if isinstance(data, xr.DataArray) and coords is not None and dims is not None and not kwargs:
        data = data.reset_coords(drop=True)
        if set(data.dims) - {RUN}:
            raise NotImplementedError(f"an array of dimensions {data.dims} written into {list(dims)}")
        return data.expand_dims({d: list(coords[d]) for d in reversed(list(dims))}).transpose(*dims, ...)
    if isinstance(data, (np.ndarray, np.generic)) and data.ndim == 0:  # a NumPy number, where PySD has a float
        data = data.item()
    return xr.DataArray(data, coords, dims, **kwargs)


def relabel(value, coords, dims):
    """PySD's ``xr.DataArray(x.values, coords, dims)`` (a subscript mapping: the same numbers, the
    dimensions renamed by position), with ``run`` kept last."""
    if isinstance(value, xr.DataArray) and RUN in value.dims:
        value = runs_last(value)
        return xr.DataArray(value.values, {**coords, RUN: value[RUN].values}, [*dims, RUN])
    return xr.DataArray(np.asarray(getattr(value, "values", value)), coords, dims)


def positional(value, n: int):
    """``x.values`` for assignment into a ``run``-last array: ``x``'s numbers with ``run`` last."""
    if isinstance(value, xr.DataArray):
        return with_runs(value, n).values
    return value


def masked(value: xr.DataArray, mask: xr.DataArray, new):
    """PySD's ``value.values[mask.values] = new.values[mask.values]`` (or ``= number``): ``new`` where
    ``mask`` holds, by dimension name; ``value``'s dimension order kept."""
    if isinstance(new, xr.DataArray):
        core = {d for d in new.dims if d != RUN}
        if not core <= set(value.dims):
            raise NotImplementedError(f"EXCEPT with a value of dimensions {new.dims} for {value.dims}")
    return xr.where(mask, new, value).transpose(*value.dims)


def interp(x, xs, ys):
    """A one-dimensional lookup of ``x`` (a float, an array or a DataArray)."""
    if isinstance(x, xr.DataArray):
        return x.copy(data=np.interp(x.values, xs, ys))
    return np.interp(x, xs, ys)


def element_labels(dims, elements) -> list[str]:
    """Labels ``"a,x"`` of every element of a variable over ``dims``, in PySD's column order; ``[""]``
    for a variable without subscripts."""
    labels = [""]
    for dim in dims:
        labels = [f"{label},{element}" if label else element for label in labels for element in elements[dim]]
    return labels


def flatten(value, template: xr.DataArray) -> np.ndarray:
    """``value`` over every element of ``template`` (dimensions ``(subscripts..., run)``) as a 2-D
    array ``(elements, runs)``, elements in PySD's column order."""
    if isinstance(value, xr.DataArray):
        value = value.reset_coords(drop=True)
        for dim in value.dims:
            if dim not in template.dims or (dim != RUN and list(value[dim].values) != list(template[dim].values)):
                raise NotImplementedError(
                    f"a value over {dim!r} {list(value[dim].values)} for a variable over {template.dims}"
                )
        value = value.broadcast_like(template).transpose(*template.dims)
        data = value.values
    else:
        data = np.broadcast_to(np.asarray(value, dtype=float), template.shape)
    return data.reshape(-1, template.shape[-1])


#: The ``xr`` of the translated module while subscripted values carry runs: ``xr.DataArray`` accepts
#: a value per run as its data; every other name is xarray's own.
XR = types.SimpleNamespace(**{name: getattr(xr, name) for name in dir(xr) if not name.startswith("__")})
XR.DataArray = data_array
