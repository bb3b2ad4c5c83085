"""Vision models beyond plain CNN classifiers (see s20_vision2_progs.py). This file:
Grad-CAM and guided backpropagation with module hooks, as the popular write-ups do it
(register_forward_hook / register_full_backward_hook saving activations and gradients,
F.adaptive_avg_pool2d of the gradients as channel weights, ReLU, F.interpolate to the input
size, min-max normalisation; utkuozbulak/pytorch-cnn-visualizations' guided backprop that
rewrites the ReLUs' grad_in) on a small VGG-like net and 16x16 images."""

import numpy as np
from s16_yunjey_progs import Out


def _cnn(L):
    nn = L.nn
    return nn.Sequential(
        nn.Conv2d(3, 6, 3, padding=1), nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(6, 8, 3, padding=1), nn.ReLU(),
        nn.AdaptiveAvgPool2d((2, 2)), nn.Flatten(), nn.Linear(32, 5))


def gradcam(L):
    """A GradCAM class: hooks on the last conv layer, output.backward(gradient=one_hot,
    retain_graph=True), weights = F.adaptive_avg_pool2d(gradients, 1), the CAM upsampled with
    F.interpolate(bilinear) and normalised; the handles removed at the end; the same CAM from
    torch.autograd.grad for comparison."""
    torch, F = L, L.nn.functional
    with Out() as o:
        L.manual_seed(0)
        model = _cnn(L)
        model.eval()

        class GradCAM:
            def __init__(self, model, target_layer):
                self.model = model
                self.gradients = None
                self.activations = None
                self.handles = [target_layer.register_forward_hook(self.save_activation),
                                target_layer.register_full_backward_hook(self.save_gradient)]

            def save_activation(self, module, input, output):
                self.activations = output.detach()

            def save_gradient(self, module, grad_input, grad_output):
                self.gradients = grad_output[0].detach()

            def remove(self):
                for h in self.handles:
                    h.remove()

            def __call__(self, x, class_idx=None):
                output = self.model(x)
                if class_idx is None:
                    class_idx = output.argmax(dim=1).item()
                self.model.zero_grad()
                one_hot = torch.zeros_like(output)
                one_hot[0][class_idx] = 1
                output.backward(gradient=one_hot, retain_graph=True)
                weights = F.adaptive_avg_pool2d(self.gradients, 1)
                cam = torch.mul(self.activations, weights).sum(dim=1, keepdim=True)
                cam = F.relu(cam)
                cam = F.interpolate(cam, size=x.shape[2:], mode='bilinear', align_corners=False)
                cam = (cam - cam.min()) / (cam.max() - cam.min() + 1e-8)
                return cam, class_idx

        cam_extractor = GradCAM(model, model[3])
        x = torch.from_numpy(np.random.RandomState(0).rand(1, 3, 16, 16).astype(np.float32))
        cam, idx = cam_extractor(x)
        o.print(cam.shape, idx, cam.requires_grad, cam_extractor.gradients.shape)
        o.vals += [cam, cam_extractor.activations, cam_extractor.gradients]
        cam2, _ = cam_extractor(x, class_idx=2)
        o.vals += [cam2, model[0].weight.grad]
        heatmap = np.uint8(255 * cam2.squeeze().numpy())
        o.print(heatmap.dtype, heatmap.shape)
        cam_extractor.remove()
        n = len(model[3]._forward_hooks), len(model[3]._backward_hooks)
        o.print(n, cam_extractor.gradients is not None)
        # the same weights without hooks
        feats = model[:4](x)
        score = model[4:](feats)[0, 2]
        grads, = torch.autograd.grad(score, feats)
        o.vals.append(grads.mean(dim=(2, 3), keepdim=True))
        o.print(bool(torch.allclose(grads, cam_extractor.gradients)))
    return o.done()


def guided_backprop(L):
    """GuidedBackprop: a forward hook on every ReLU keeps its output, a full backward hook
    returns (mask * torch.clamp(grad_in[0], min=0.0),), the first layer's hook stores the
    image gradient; register_forward_pre_hook and a legacy register_backward_hook seen too,
    and the in-place ReLU that a full backward hook refuses."""
    torch, nn = L, L.nn
    with Out() as o:
        L.manual_seed(1)
        model = _cnn(L)
        model.eval()
        forward_relu_outputs = []
        store = {}

        def hook_function(module, grad_in, grad_out):
            store['gradients'] = grad_in[0]

        def relu_backward_hook_function(module, grad_in, grad_out):
            corresponding_forward_output = forward_relu_outputs[-1]
            corresponding_forward_output[corresponding_forward_output > 0] = 1
            modified_grad_out = corresponding_forward_output * torch.clamp(grad_in[0], min=0.0)
            del forward_relu_outputs[-1]
            return (modified_grad_out,)

        def relu_forward_hook_function(module, ten_in, ten_out):
            forward_relu_outputs.append(ten_out)

        handles = [model[0].register_full_backward_hook(hook_function)]
        for pos, module in model._modules.items():
            if isinstance(module, nn.ReLU):
                handles.append(module.register_full_backward_hook(relu_backward_hook_function))
                handles.append(module.register_forward_hook(relu_forward_hook_function))

        x = torch.from_numpy(np.random.RandomState(1).rand(1, 3, 8, 8).astype(np.float32))
        x.requires_grad_()
        model_output = model(x)
        model.zero_grad()
        one_hot_output = torch.FloatTensor(1, model_output.size()[-1]).zero_()
        one_hot_output[0][3] = 1
        model_output.backward(gradient=one_hot_output)
        gradients_as_arr = store['gradients'].data.numpy()[0]
        o.print(gradients_as_arr.shape, len(forward_relu_outputs), (gradients_as_arr >= 0).all())
        o.vals += [store['gradients'], x.grad]
        pos_sal = (np.maximum(0, gradients_as_arr) / gradients_as_arr.max())
        neg_sal = (np.maximum(0, -gradients_as_arr) / -gradients_as_arr.min())
        o.vals += [pos_sal, neg_sal]
        for h in handles:
            h.remove()

        # a module once given a full backward hook refuses a regular one, hook removed or not
        o.tryit(lambda: model[1].register_backward_hook(lambda m, gi, go: None))
        model = _cnn(L)
        seen = []
        h = model[0].register_forward_pre_hook(lambda m, inp: seen.append(inp[0].shape))
        h2 = model[1].register_backward_hook(lambda m, gi, go: (gi[0] * 0.5,))
        x.grad = None
        model(x)[0, 3].backward()
        o.print(seen, x.grad.abs().sum().item() > 0)
        o.vals.append(x.grad)
        h.remove(); h2.remove()

        bad = nn.Sequential(nn.Conv2d(3, 2, 3), nn.ReLU(inplace=True))
        bad.register_full_backward_hook(lambda m, gi, go: None)
        o.tryit(lambda: bad(x))
        relu = nn.ReLU(inplace=True)
        relu.register_full_backward_hook(lambda m, gi, go: None)
        o.tryit(lambda: relu(x * 1).sum().backward())
        conv = nn.Conv2d(3, 2, 3)
        conv.register_full_backward_hook(lambda m, gi, go: (gi[0], gi[0]))
        o.tryit(lambda: conv(x).sum().backward())
    return o.done()
