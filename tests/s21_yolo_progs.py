"""eriklindernoren/PyTorch-YOLOv3 pytorchyolo/models.py as users type it, scaled down:
create_modules from a small yolov3-tiny style cfg (tests/s21_yolo_progs_e.py), Upsample,
YOLOLayer with its grid and anchor decoding (the 2*sigmoid-0.5 form, and the later sigmoid /
exp form written into x), Darknet forward in train and eval mode, weights_init_normal,
save_darknet_weights / load_darknet_weights and a state_dict round trip. The loss, the box
utilities and the 2019 version use yolo_models from here (tests/s21_yolo_progs_b/c/d.py)."""

import os
import tempfile
from itertools import chain

import numpy as np
from s16_yunjey_progs import Out
from s21_yolo_progs_e import cfg_path, images, parse_model_config

def yolo_models(torch):
    """pytorchyolo/models.py bound to a library: (Darknet, YOLOLayer, weights_init_normal)."""
    nn, F = torch.nn, torch.nn.functional

    def weights_init_normal(m):
        classname = m.__class__.__name__
        if classname.find("Conv") != -1:
            nn.init.normal_(m.weight.data, 0.0, 0.02)
        elif classname.find("BatchNorm2d") != -1:
            nn.init.normal_(m.weight.data, 1.0, 0.02)
            nn.init.constant_(m.bias.data, 0.0)

    def create_modules(module_defs):
        hyperparams = module_defs.pop(0)
        hyperparams.update({
            'batch': int(hyperparams['batch']),
            'subdivisions': int(hyperparams['subdivisions']),
            'width': int(hyperparams['width']),
            'height': int(hyperparams['height']),
            'channels': int(hyperparams['channels']),
            'optimizer': hyperparams.get('optimizer'),
            'momentum': float(hyperparams['momentum']),
            'decay': float(hyperparams['decay']),
            'learning_rate': float(hyperparams['learning_rate']),
            'burn_in': int(hyperparams['burn_in']),
            'max_batches': int(hyperparams['max_batches']),
            'policy': hyperparams['policy'],
            'lr_steps': list(zip(map(int, hyperparams["steps"].split(",")),
                                 map(float, hyperparams["scales"].split(","))))
        })
        assert hyperparams["height"] == hyperparams["width"], \
            "Height and width should be equal! Non square images are padded with zeros."
        output_filters = [hyperparams["channels"]]
        module_list = nn.ModuleList()
        for module_i, module_def in enumerate(module_defs):
            modules = nn.Sequential()

            if module_def["type"] == "convolutional":
                bn = int(module_def["batch_normalize"])
                filters = int(module_def["filters"])
                kernel_size = int(module_def["size"])
                pad = (kernel_size - 1) // 2
                modules.add_module(
                    f"conv_{module_i}",
                    nn.Conv2d(
                        in_channels=output_filters[-1],
                        out_channels=filters,
                        kernel_size=kernel_size,
                        stride=int(module_def["stride"]),
                        padding=pad,
                        bias=not bn,
                    ),
                )
                if bn:
                    modules.add_module(f"batch_norm_{module_i}",
                                       nn.BatchNorm2d(filters, momentum=0.9, eps=1e-5))
                if module_def["activation"] == "leaky":
                    modules.add_module(f"leaky_{module_i}", nn.LeakyReLU(0.1))

            elif module_def["type"] == "maxpool":
                kernel_size = int(module_def["size"])
                stride = int(module_def["stride"])
                if kernel_size == 2 and stride == 1:
                    modules.add_module(f"_debug_padding_{module_i}", nn.ZeroPad2d((0, 1, 0, 1)))
                maxpool = nn.MaxPool2d(kernel_size=kernel_size, stride=stride,
                                       padding=int((kernel_size - 1) // 2))
                modules.add_module(f"maxpool_{module_i}", maxpool)

            elif module_def["type"] == "upsample":
                upsample = Upsample(scale_factor=int(module_def["stride"]), mode="nearest")
                modules.add_module(f"upsample_{module_i}", upsample)

            elif module_def["type"] == "route":
                layers = [int(x) for x in module_def["layers"].split(",")]
                filters = sum([output_filters[1:][i] for i in layers])
                modules.add_module(f"route_{module_i}", nn.Sequential())

            elif module_def["type"] == "shortcut":
                filters = output_filters[1:][int(module_def["from"])]
                modules.add_module(f"shortcut_{module_i}", nn.Sequential())

            elif module_def["type"] == "yolo":
                anchor_idxs = [int(x) for x in module_def["mask"].split(",")]
                # Extract anchors
                anchors = [int(x) for x in module_def["anchors"].split(",")]
                anchors = [(anchors[i], anchors[i + 1]) for i in range(0, len(anchors), 2)]
                anchors = [anchors[i] for i in anchor_idxs]
                num_classes = int(module_def["classes"])
                # Define detection layer
                yolo_layer = YOLOLayer(anchors, num_classes)
                modules.add_module(f"yolo_{module_i}", yolo_layer)
            # Register module list and number of output filters
            module_list.append(modules)
            output_filters.append(filters)

        return hyperparams, module_list

    class Upsample(nn.Module):
        """ nn.Upsample is deprecated """

        def __init__(self, scale_factor, mode="nearest"):
            super(Upsample, self).__init__()
            self.scale_factor = scale_factor
            self.mode = mode

        def forward(self, x):
            x = F.interpolate(x, scale_factor=self.scale_factor, mode=self.mode)
            return x

    class YOLOLayer(nn.Module):
        """Detection layer"""

        def __init__(self, anchors, num_classes):
            super(YOLOLayer, self).__init__()
            self.num_anchors = len(anchors)
            self.num_classes = num_classes
            self.mse_loss = nn.MSELoss()
            self.bce_loss = nn.BCELoss()
            self.no = num_classes + 5  # number of outputs per anchor
            self.grid = torch.zeros(1)  # TODO

            anchors = torch.tensor(list(chain(*anchors))).float().view(-1, 2)
            self.register_buffer('anchors', anchors)
            self.register_buffer(
                'anchor_grid', anchors.clone().view(1, -1, 1, 1, 2))
            self.stride = None

        def forward(self, x, img_size):
            stride = img_size // x.size(2)
            self.stride = stride
            bs, _, ny, nx = x.shape  # x(bs,255,20,20) to x(bs,3,20,20,85)
            x = x.view(bs, self.num_anchors, self.no, ny, nx).permute(0, 1, 3, 4, 2).contiguous()

            if not self.training:  # inference
                if self.grid.shape[2:4] != x.shape[2:4]:
                    self.grid = self._make_grid(nx, ny).to(x.device)

                y = x.sigmoid()
                y[..., 0:2] = (y[..., 0:2] * 2. - 0.5 +
                               self.grid.to(x.device)) * stride  # xy
                y[..., 2:4] = (y[..., 2:4] * 2) ** 2 * self.anchor_grid  # wh
                y = y.view(bs, -1, self.no)

            return x if self.training else y

        @staticmethod
        def _make_grid(nx=20, ny=20):
            yv, xv = torch.meshgrid([torch.arange(ny), torch.arange(nx)])
            return torch.stack((xv, yv), 2).view((1, 1, ny, nx, 2)).float()

    class Darknet(nn.Module):
        """YOLOv3 object detection model"""

        def __init__(self, config_path):
            super(Darknet, self).__init__()
            self.module_defs = parse_model_config(config_path)
            self.hyperparams, self.module_list = create_modules(self.module_defs)
            self.yolo_layers = [layer[0]
                                for layer in self.module_list if isinstance(layer[0], YOLOLayer)]
            self.seen = 0
            self.header_info = np.array([0, 0, 0, self.seen, 0], dtype=np.int32)

        def forward(self, x):
            img_size = x.size(2)
            layer_outputs, yolo_outputs = [], []
            for i, (module_def, module) in enumerate(zip(self.module_defs, self.module_list)):
                if module_def["type"] in ["convolutional", "upsample", "maxpool"]:
                    x = module(x)
                elif module_def["type"] == "route":
                    x = torch.cat([layer_outputs[int(layer_i)]
                                   for layer_i in module_def["layers"].split(",")], 1)
                elif module_def["type"] == "shortcut":
                    layer_i = int(module_def["from"])
                    x = layer_outputs[-1] + layer_outputs[layer_i]
                elif module_def["type"] == "yolo":
                    x = module[0](x, img_size)
                    yolo_outputs.append(x)
                layer_outputs.append(x)
            return yolo_outputs if self.training else torch.cat(yolo_outputs, 1)

        def load_darknet_weights(self, weights_path):
            """Parses and loads the weights stored in 'weights_path'"""
            with open(weights_path, "rb") as f:
                header = np.fromfile(f, dtype=np.int32, count=5)
                self.header_info = header  # Needed to write header when saving weights
                self.seen = header[3]  # number of images seen during training
                weights = np.fromfile(f, dtype=np.float32)  # The rest are weights

            cutoff = None
            if "darknet53.conv.74" in weights_path:
                cutoff = 75

            ptr = 0
            for i, (module_def, module) in enumerate(zip(self.module_defs, self.module_list)):
                if i == cutoff:
                    break
                if module_def["type"] == "convolutional":
                    conv_layer = module[0]
                    if module_def["batch_normalize"]:
                        bn_layer = module[1]
                        num_b = bn_layer.bias.numel()  # Number of biases
                        bn_b = torch.from_numpy(
                            weights[ptr: ptr + num_b]).view_as(bn_layer.bias)
                        bn_layer.bias.data.copy_(bn_b)
                        ptr += num_b
                        bn_w = torch.from_numpy(
                            weights[ptr: ptr + num_b]).view_as(bn_layer.weight)
                        bn_layer.weight.data.copy_(bn_w)
                        ptr += num_b
                        bn_rm = torch.from_numpy(
                            weights[ptr: ptr + num_b]).view_as(bn_layer.running_mean)
                        bn_layer.running_mean.data.copy_(bn_rm)
                        ptr += num_b
                        bn_rv = torch.from_numpy(
                            weights[ptr: ptr + num_b]).view_as(bn_layer.running_var)
                        bn_layer.running_var.data.copy_(bn_rv)
                        ptr += num_b
                    else:
                        num_b = conv_layer.bias.numel()
                        conv_b = torch.from_numpy(
                            weights[ptr: ptr + num_b]).view_as(conv_layer.bias)
                        conv_layer.bias.data.copy_(conv_b)
                        ptr += num_b
                    num_w = conv_layer.weight.numel()
                    conv_w = torch.from_numpy(
                        weights[ptr: ptr + num_w]).view_as(conv_layer.weight)
                    conv_layer.weight.data.copy_(conv_w)
                    ptr += num_w
            return ptr

        def save_darknet_weights(self, path, cutoff=-1):
            fp = open(path, "wb")
            self.header_info[3] = self.seen
            self.header_info.tofile(fp)
            for i, (module_def, module) in enumerate(zip(self.module_defs[:cutoff],
                                                         self.module_list[:cutoff])):
                if module_def["type"] == "convolutional":
                    conv_layer = module[0]
                    if module_def["batch_normalize"]:
                        bn_layer = module[1]
                        bn_layer.bias.data.cpu().numpy().tofile(fp)
                        bn_layer.weight.data.cpu().numpy().tofile(fp)
                        bn_layer.running_mean.data.cpu().numpy().tofile(fp)
                        bn_layer.running_var.data.cpu().numpy().tofile(fp)
                    else:
                        conv_layer.bias.data.cpu().numpy().tofile(fp)
                    conv_layer.weight.data.cpu().numpy().tofile(fp)
            fp.close()

    return Darknet, YOLOLayer, weights_init_normal, Upsample


def darknet_forward(L):
    """load_model: Darknet(cfg) with weights_init_normal; the module list, train-mode YOLO
    maps, eval-mode decoded boxes, the darknet weights file written and read back."""
    torch = L
    Darknet, YOLOLayer, weights_init_normal, _ = yolo_models(L)
    torch.manual_seed(0)
    with Out() as o:
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        model = Darknet(cfg_path()).to(device)
        model.apply(weights_init_normal)
        o.print(model.hyperparams['lr_steps'], model.hyperparams['burn_in'])
        o.print(len(model.module_list), [type(m[0]).__name__ for m in model.module_list])
        o.print(model.module_list[5])
        o.print(model.module_list[11])
        o.print(sum(p.numel() for p in model.parameters()))
        o.print([tuple(b.shape) for b in model.buffers()][:6])
        o.print(model.yolo_layers[0].anchors, model.yolo_layers[1].anchor_grid.shape)
        imgs = images(L)
        outs = model(imgs)
        o.print([tuple(x.shape) for x in outs], [y.stride for y in model.yolo_layers])
        o.vals += [x.detach() for x in outs]
        model.eval()
        with torch.no_grad():
            det = model(imgs)
        o.print(det.shape, det.dtype, model.yolo_layers[0].grid.shape,
                model.yolo_layers[1].grid[0, 0, 1, :3])
        o.vals += [det]
        o.print(det[0, :3])
        with torch.no_grad():
            det2 = model(imgs)  # grid cached now
        o.print(bool(torch.equal(det, det2)))
        path = os.path.join(tempfile.mkdtemp(), "small.weights")
        model.seen = 12
        model.save_darknet_weights(path)
        model2 = Darknet(cfg_path())
        ptr = model2.load_darknet_weights(path)
        o.print(ptr, model2.seen, model2.header_info.dtype, os.path.getsize(path))
        model2.eval()
        with torch.no_grad():
            o.print(bool(torch.allclose(model2(imgs), det)))
        torch.save(model.state_dict(), path + ".pth")
        model3 = Darknet(cfg_path())
        o.print(model3.load_state_dict(torch.load(path + ".pth")))
        o.print(sorted(model3.state_dict().keys())[:5])
    return o.done()


def yolo_layer_exp(L):
    """The later YOLOLayer.forward: decoding written into x itself (sigmoid xy + grid, exp wh
    times anchor_grid, sigmoid of the rest), also under torch.no_grad in eval, and the train
    mode maps through a whole Darknet."""
    torch = L
    Darknet, YOLOLayer, weights_init_normal, Upsample = yolo_models(L)

    class YOLOLayerExp(YOLOLayer):
        def forward(self, x, img_size):
            stride = img_size // x.size(2)
            self.stride = stride
            bs, _, ny, nx = x.shape  # x(bs,255,20,20) to x(bs,3,20,20,85)
            x = x.view(bs, self.num_anchors, self.no, ny, nx).permute(0, 1, 3, 4, 2).contiguous()
            if not self.training:  # inference
                if self.grid.shape[2:4] != x.shape[2:4]:
                    self.grid = self._make_grid(nx, ny).to(x.device)
                x[..., 0:2] = (x[..., 0:2].sigmoid() + self.grid) * stride  # xy
                x[..., 2:4] = torch.exp(x[..., 2:4]) * self.anchor_grid  # wh
                x[..., 4:] = x[..., 4:].sigmoid()
                x = x.view(bs, -1, self.no)
            return x

    torch.manual_seed(5)
    with Out() as o:
        layer = YOLOLayerExp([(10, 14), (23, 27), (37, 58)], 2)
        o.print(layer, [n for n, _ in layer.named_buffers()], layer.grid)
        feat = torch.randn(2, 21, 4, 4)
        o.print(tuple(layer(feat, 32).shape), layer.stride, layer.training)
        layer.eval()
        with torch.no_grad():
            y = layer(feat, 32)
        o.print(y.shape, y[1, 5], layer.grid.dtype, layer.grid.shape)
        o.vals.append(y)
        feat2 = torch.randn(2, 21, 4, 4, requires_grad=True)
        y2 = layer(feat2, 32)
        y2[..., 4].sum().backward()
        o.print(y2.grad_fn is not None, feat2.grad.abs().sum() > 0)
        o.vals += [y2.detach(), feat2.grad]
        up = Upsample(scale_factor=2)
        o.print(up(torch.arange(4.).view(1, 1, 2, 2)))
        state = layer.state_dict()
        o.print(list(state), state['anchor_grid'].shape)
    return o.done()
